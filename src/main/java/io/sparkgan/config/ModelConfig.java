package io.sparkgan.config;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.Normalisation;
import java.io.Serializable;

/**
 * Network sizes and normalisation (the {@code model} section).
 *
 * @param family which networks (model.architecture)
 * @param spectralNorm D's weights spectrally normalised (a reparameterisation the training state
 *     carries, so the architecture, which the replicas see, does not mention it)
 * @param conditional G and D conditioned on the dataset's classes
 * @param style StyleGAN2's mapping depth, minibatch groups and style mixing (other architectures ignore it)
 */
public record ModelConfig(GanArchitecture.Family family, int latentDim, int gFeatures, int dFeatures, Normalisation generatorNorm,
                          Normalisation discriminatorNorm, boolean spectralNorm, boolean conditional,
                          GanArchitecture.Style style)
        implements Serializable {

    /** The networks, conditioned on {@code classes} classes (0: unconditional). */
    public GanArchitecture architecture(DataConfig data, int classes) {
        return new GanArchitecture(data.imageSize(), data.channels(), latentDim, gFeatures, dFeatures,
                generatorNorm, discriminatorNorm, classes, family, style);
    }
}

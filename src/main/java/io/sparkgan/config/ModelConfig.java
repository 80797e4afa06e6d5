package io.sparkgan.config;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.Normalisation;
import java.io.Serializable;

/**
 * Network sizes and normalisation (the {@code model} section).
 *
 * @param spectralNorm D's weights spectrally normalised (a reparameterisation the training state
 *     carries, so the architecture, which the replicas see, does not mention it)
 */
public record ModelConfig(int latentDim, int gFeatures, int dFeatures, Normalisation generatorNorm,
                          Normalisation discriminatorNorm, boolean spectralNorm) implements Serializable {

    public GanArchitecture architecture(DataConfig data) {
        return new GanArchitecture(data.imageSize(), data.channels(), latentDim, gFeatures, dFeatures,
                generatorNorm, discriminatorNorm);
    }
}

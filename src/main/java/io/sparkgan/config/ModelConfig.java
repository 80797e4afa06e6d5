package io.sparkgan.config;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.Normalisation;
import java.io.Serializable;

/** Network sizes and normalisation (the {@code model} section). */
public record ModelConfig(int latentDim, int gFeatures, int dFeatures, Normalisation generatorNorm,
                          Normalisation discriminatorNorm) implements Serializable {

    public GanArchitecture architecture(DataConfig data) {
        return new GanArchitecture(data.imageSize(), data.channels(), latentDim, gFeatures, dFeatures,
                generatorNorm, discriminatorNorm);
    }
}

package io.sparkgan.config;

import io.sparkgan.model.GanArchitecture;
import java.io.Serializable;

/** Network sizes (the {@code model} section). */
public record ModelConfig(int latentDim, int gFeatures, int dFeatures, boolean batchNorm) implements Serializable {

    public GanArchitecture architecture(DataConfig data) {
        return new GanArchitecture(data.imageSize(), data.channels(), latentDim, gFeatures, dFeatures, batchNorm);
    }
}

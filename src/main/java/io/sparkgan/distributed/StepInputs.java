package io.sparkgan.distributed;

import io.sparkgan.model.Noise;

/**
 * A step's inputs over the whole global batch, as all workers together use them ({@link RoundInputs}
 * decides each worker's share): for tools that replay a run outside Spark, such as the PyTorch twin
 * ({@code docs/dcgan-twin.sh}), which must see the same images and noise in the same slots.
 */
public final class StepInputs {
    private StepInputs() {
    }

    /** The global batch of the sample order that D round {@code round} of {@code step} (0-based) trains on. */
    public static long realBatch(long step, int round, int discriminatorRounds) {
        return step * discriminatorRounds + round;
    }

    /** z of the generated images of D round {@code round} of {@code step}, slot by slot: [globalBatch, latent]. */
    public static float[] discriminatorNoise(long seed, long step, int round, int globalBatch, int latentDim) {
        return Noise.latent(seed, step, round, 0, globalBatch, latentDim);
    }

    /** z of G's round of {@code step}: [globalBatch, latent]. */
    public static float[] generatorNoise(long seed, long step, int globalBatch, int latentDim) {
        return Noise.latent(seed, step, RoundInputs.GENERATOR_NOISE, 0, globalBatch, latentDim);
    }
}

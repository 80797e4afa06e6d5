package io.sparkgan.train;

import io.sparkgan.model.Gaussian;

/**
 * The noise vectors z. Each image slot of the global batch has its own stream, seeded by
 * (seed, step, round, slot) where partition p's k-th image is slot p·b + k. A retried task draws the
 * same z, and W partitions of batch b draw exactly the z that one partition of batch W·b draws, which
 * is what makes the W×b ≡ 1×W·b equivalence exact.
 */
public final class LatentNoise {
    /** Round numbers: D's rounds are 0..n−1, G's round is {@link #GENERATOR_ROUND}. */
    public static final int GENERATOR_ROUND = 1_000_000;
    /** Stream for the fixed noise of sample grids. */
    public static final long SAMPLE_STEP = -1;
    /** Stream for the images FID and KID are computed on: slot i is the i-th generated image. */
    public static final long FID_STEP = -2;
    /** Stream for {@code sparkgan sample}: slot i is the i-th image written for a seed. */
    public static final long SAMPLE_IMAGES_STEP = -3;
    /** Stream for the endpoints of interpolations: slot 0 of a seed is that seed's latent vector. */
    public static final long INTERPOLATION_STEP = -4;

    private LatentNoise() {
    }

    /** z for {@code batch} slots starting at {@code firstSlot}, row-major [batch, latentDim]. */
    public static float[] draw(long seed, long step, int round, long firstSlot, int batch, int latentDim) {
        float[] z = new float[batch * latentDim];
        for (int i = 0; i < batch; i++) {
            Gaussian.fill(Seeds.mix(seed, step, round, firstSlot + i), z, i * latentDim, latentDim);
        }
        return z;
    }
}

package io.sparkgan.model;

import java.util.SplittableRandom;

/**
 * Every random number sparkgan draws, as a pure function of a seed: seeds derived from tuples of
 * numbers, standard normal deviates, and the latent vectors z. Nothing here depends on the JVM, the
 * JDK release or the thread, so the driver and every executor draw the same numbers.
 *
 * <p>Latent vectors come in streams. Each image slot has its own generator, seeded by
 * (seed, stream, round, slot), where a worker's k-th image of a round is slot p·b + k of the global
 * batch. A retried task draws the same z, and W workers of batch b draw exactly the z that one
 * worker of batch W·b draws: what makes the W×b ≡ 1×W·b equivalence exact. Training rounds use the
 * step as the stream; the negative streams below are for everything that is not training.
 */
public final class Noise {
    /** The fixed noise of sample grids. */
    private static final long SAMPLE_GRID = -1;
    /** FID and KID: slot i is the i-th generated image. */
    private static final long FID = -2;
    /** {@code sparkgan sample}: slot i is the i-th image written for a seed. */
    private static final long SAMPLE_IMAGES = -3;
    /** Endpoints of interpolations: slot 0 of a seed is that seed's latent vector. */
    private static final long INTERPOLATION = -4;
    /** WGAN-GP's mixing weights ε, a tag in the seed tuple next to (step, round, slot). */
    private static final long MIXING = -5;
    /** Differentiable augmentation's draws ({@link Augmentation}), a tag likewise. */
    static final long AUGMENT = -6;
    /** The classes a conditional G is asked for in training, a tag likewise. */
    private static final long CLASSES = -7;
    /** Dropout's masks ({@code layers.Dropout}), a tag likewise, with the layer's index. */
    private static final long DROPOUT = -8;
    /** StyleGAN2's per-pixel noise in training, a tag likewise, with the noise input's index. */
    private static final long PIXELS = -9;
    /** Style mixing regularisation's draws (whether, where, and the second z), a tag likewise. */
    private static final long STYLE_MIXING = -10;

    private Noise() {
    }

    /** z for {@code batch} slots starting at {@code firstSlot}, row-major [batch, latentDim]. */
    public static float[] latent(long seed, long stream, int round, long firstSlot, int batch, int latentDim) {
        float[] z = new float[batch * latentDim];
        for (int i = 0; i < batch; i++) {
            fillGaussian(seed(seed, stream, round, firstSlot + i), z, i * latentDim, latentDim);
        }
        return z;
    }

    /**
     * ε uniform in [0, 1) for {@code batch} slots starting at {@code firstSlot} of D round {@code round}
     * of step {@code step}: per slot, as z is, so W workers draw what one worker of the global batch draws.
     */
    public static float[] mixing(long seed, long step, int round, long firstSlot, int batch) {
        float[] epsilon = new float[batch];
        for (int i = 0; i < batch; i++) {
            epsilon[i] = (float) new SplittableRandom(seed(seed, MIXING, step, round, firstSlot + i)).nextDouble();
        }
        return epsilon;
    }

    /**
     * Classes uniform over {@code classes} for {@code batch} slots from {@code firstSlot} of round
     * {@code round} of step {@code step}: what a conditional G generates in training. Per slot, as z is.
     */
    public static int[] classes(long seed, long step, int round, long firstSlot, int batch, int classes) {
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = new SplittableRandom(seed(seed, CLASSES, step, round, firstSlot + i)).nextInt(classes);
        }
        return labels;
    }

    /**
     * Dropout's keep mask for {@code batch} slots from {@code firstSlot} of round {@code round} of step
     * {@code step}, at dropout layer {@code layer}: {@code perImage} values per slot, each 1/(1 − rate)
     * with probability 1 − rate and 0 otherwise (inverted dropout, Srivastava et al. 2014). Per slot, as
     * z is, so any worker count draws the same masks.
     */
    public static float[] dropout(long seed, long step, int round, int layer, long firstSlot, int batch,
                                  int perImage, double rate) {
        float[] mask = new float[batch * perImage];
        float kept = (float) (1 / (1 - rate));
        for (int i = 0; i < batch; i++) {
            SplittableRandom random = new SplittableRandom(seed(seed, DROPOUT, step, round, layer, firstSlot + i));
            for (int j = 0; j < perImage; j++) {
                mask[i * perImage + j] = random.nextDouble() < rate ? 0f : kept;
            }
        }
        return mask;
    }

    /**
     * StyleGAN2's per-pixel noise for {@code batch} slots from {@code firstSlot} of round {@code round}
     * of step {@code step}, at noise input {@code layer}: {@code perImage} N(0, 1) values per slot, per
     * slot as z is.
     */
    public static float[] pixels(long seed, long step, int round, int layer, long firstSlot, int batch, int perImage) {
        float[] noise = new float[batch * perImage];
        for (int i = 0; i < batch; i++) {
            fillGaussian(seed(seed, PIXELS, step, round, layer, firstSlot + i), noise, i * perImage, perImage);
        }
        return noise;
    }

    /**
     * Style mixing regularisation's crossover per slot (Karras et al. 2019, section 3.1): with probability
     * {@code probability} a point uniform in 1 … styles − 1 (style inputs from there on take the second
     * w), otherwise {@code styles} (no mixing). StyleGAN2 draws one point per batch; one per slot keeps the
     * draws independent of how the batch is split among workers.
     */
    public static int[] crossovers(long seed, long step, int round, long firstSlot, int batch, int styles,
                                   double probability) {
        int[] points = new int[batch];
        for (int i = 0; i < batch; i++) {
            SplittableRandom random = new SplittableRandom(seed(seed, STYLE_MIXING, step, round, firstSlot + i));
            boolean mixed = random.nextDouble() < probability;
            int point = 1 + random.nextInt(styles - 1);
            points[i] = mixed ? point : styles;
        }
        return points;
    }

    /** The second z of style mixing for {@code batch} slots from {@code firstSlot}: [batch, latentDim]. */
    public static float[] mixingLatents(long seed, long step, int round, long firstSlot, int batch, int latentDim) {
        return latent(seed(seed, STYLE_MIXING), step, round, firstSlot, batch, latentDim);
    }

    /** The noise of the sample grids written while training and in FID reports. */
    public static float[] sampleGrid(long seed, int count, int latentDim) {
        return latent(seed, SAMPLE_GRID, 0, 0, count, latentDim);
    }

    /** Images [first, first + n) of the FID stream. */
    public static float[] fid(long seed, long first, int n, int latentDim) {
        return latent(seed, FID, 0, first, n, latentDim);
    }

    /** Images [first, first + n) that {@code sparkgan sample} writes for {@code seed}. */
    public static float[] sampleImages(long seed, long first, int n, int latentDim) {
        return latent(seed, SAMPLE_IMAGES, 0, first, n, latentDim);
    }

    /** The latent vector an interpolation names by {@code seed}. */
    public static float[] interpolationEndpoint(long seed, int latentDim) {
        return latent(seed, INTERPOLATION, 0, 0, 1, latentDim);
    }

    /** A seed derived from a tuple of numbers (SplitMix64's finaliser over each part). */
    public static long seed(long... parts) {
        long h = 0x9E3779B97F4A7C15L;
        for (long part : parts) {
            h = finalise(h ^ finalise(part + 0x9E3779B97F4A7C15L));
        }
        return h;
    }

    private static long finalise(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * A standard normal deviate by the Box–Muller transform: our own, rather than the JDK's
     * {@code nextGaussian}, so that the numbers are fixed by the seed alone.
     */
    public static double gaussian(SplittableRandom random) {
        double u1 = 1.0 - random.nextDouble(); // (0, 1]: log stays finite
        double u2 = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** Fills {@code out[from, from+n)} with deviates drawn from a generator seeded by {@code seed}. */
    private static void fillGaussian(long seed, float[] out, int from, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            out[from + i] = (float) gaussian(random);
        }
    }
}

package io.sparkgan.model;

import java.util.SplittableRandom;

/**
 * Standard normal deviates by the Box–Muller transform. Our own, rather than the JDK's
 * {@code nextGaussian}, so that the numbers are fixed by the seed alone and not by the JDK release:
 * noise vectors and initial weights must agree across the driver and every executor.
 */
public final class Gaussian {
    private Gaussian() {
    }

    public static double next(SplittableRandom random) {
        double u1 = 1.0 - random.nextDouble(); // (0, 1]: log stays finite
        double u2 = random.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    /** Fills {@code out[from, from+n)} with deviates drawn from a generator seeded by {@code seed}. */
    public static void fill(long seed, float[] out, int from, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            out[from + i] = (float) next(random);
        }
    }
}

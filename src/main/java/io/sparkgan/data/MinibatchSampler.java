package io.sparkgan.data;

import io.sparkgan.model.Noise;
import java.util.SplittableRandom;

/**
 * Which images a partition uses for its n-th minibatch: a pure function of (seed, partition, n), so a
 * retried task and a resumed run pick exactly the images the first attempt would have. Each epoch is a
 * fresh permutation (Fisher–Yates) seeded by (seed, partition, epoch); without shuffling, images are
 * taken in stored order.
 */
public final class MinibatchSampler {
    private final long seed;
    private final int partition;
    private final int count;
    private final boolean shuffle;
    private long cachedEpoch = -1;
    private int[] permutation;

    public MinibatchSampler(long seed, int partition, int count, boolean shuffle) {
        this.seed = seed;
        this.partition = partition;
        this.count = count;
        this.shuffle = shuffle;
    }

    public boolean matches(long seed, int count, boolean shuffle) {
        return this.seed == seed && this.count == count && this.shuffle == shuffle;
    }

    /** Image indices of minibatch number {@code batchNumber} of size {@code batch}. */
    public int[] indices(long batchNumber, int batch) {
        int[] out = new int[batch];
        long position = batchNumber * batch;
        for (int i = 0; i < batch; i++) {
            long global = position + i;
            long epoch = global / count;
            int within = (int) (global % count);
            out[i] = shuffle ? permutation(epoch)[within] : within;
        }
        return out;
    }

    private int[] permutation(long epoch) {
        if (epoch != cachedEpoch) {
            int[] p = new int[count];
            for (int i = 0; i < count; i++) {
                p[i] = i;
            }
            SplittableRandom random = new SplittableRandom(Noise.seed(seed, 0x5eedL, partition, epoch));
            for (int i = count - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
            permutation = p;
            cachedEpoch = epoch;
        }
        return permutation;
    }
}

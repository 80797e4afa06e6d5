package io.sparkgan.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * A task thread's kernels run with the configured thread count in every place libnd4j reads one
 * (its pool, BLAS, and OpenMP, whose count is per thread), whatever the process default
 * (OMP_NUM_THREADS, or the core count) is: each assertion runs in a fresh thread, as a Spark task does.
 */
class Nd4jSetupTest {
    private static int[] inFreshThread(int threads) throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<int[]> inUse = pool.submit(() -> {
                Nd4jSetup.threads(threads);
                return Nd4jSetup.threadsInUse();
            });
            return inUse.get();
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void everyTaskThreadRunsItsKernelsWithTheConfiguredThreadCount() throws Exception {
        assertArrayEquals(new int[] {1, 1, 1}, inFreshThread(1));
        assertArrayEquals(new int[] {2, 2, 2}, inFreshThread(2)); // at most the cores, 2 on the smallest machine
        assertArrayEquals(new int[] {1, 1, 1}, inFreshThread(1), "and back: nothing is left from the last task");
    }
}

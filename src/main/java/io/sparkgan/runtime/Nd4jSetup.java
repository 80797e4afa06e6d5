package io.sparkgan.runtime;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/** Process-wide ND4J settings for executors and the driver. */
public final class Nd4jSetup {
    private static volatile int threads = -1;
    /** OpenMP's thread count is per thread: what this thread last set. */
    private static final ThreadLocal<Integer> OPENMP_THREADS = ThreadLocal.withInitial(() -> -1);
    private static volatile boolean quiet;

    private Nd4jSetup() {
    }

    /**
     * ND4J and DL4J log at INFO on every JVM that loads them (backend and workspace notices, and
     * SameDiff's graph loading for exported models and the Inception extractor); on a cluster that
     * is many lines per executor. Keep their chatter to warnings.
     */
    public static void quietLogs() {
        if (!quiet) {
            Configurator.setLevel("org.nd4j", Level.WARN);
            Configurator.setLevel("org.deeplearning4j", Level.WARN);
            Configurator.setLevel("org.nd4j.imports", Level.ERROR); // TensorFlow import mappings: not used
            quiet = true;
        }
    }

    /**
     * Sets how many native threads this thread's kernels use, in all three places libnd4j takes the
     * number from: its own thread pool (process-wide), the BLAS library (process-wide) and OpenMP,
     * which oneDNN's kernels use and whose count is per calling thread. Without the last, a Spark task
     * thread runs OpenMP with the process default, which is whatever OMP_NUM_THREADS the JVM was
     * started with (Spark sets it to spark.task.cpus for executors) or the machine's core count; a
     * kernel that splits a reduction by thread count then gives other bits in a laptop's
     * {@code local[N]} than on a cluster. Called by every task before its first kernel.
     */
    public static void threads(int n) {
        if (n <= 0) {
            return;
        }
        if (n != threads) {
            Nd4j.getEnvironment().setMaxThreads(n); // no effect in M2.1 (fixed at start-up), kept for later versions
            Nd4j.getEnvironment().setMaxMasterThreads(n);
            Nd4j.factory().blas().setMaxThreads(n);
            threads = n;
        }
        if (OPENMP_THREADS.get() != n) {
            NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(n);
            OPENMP_THREADS.set(n);
        }
    }

    /**
     * What this thread's kernels run with: {ND4J's pool, BLAS, OpenMP} threads. (libnd4j's pool takes
     * its size from the master-thread setting; its "max threads" is fixed at start-up to the cores.)
     */
    public static int[] threadsInUse() {
        return new int[] {Nd4j.getEnvironment().maxMasterThreads(), Nd4j.factory().blas().getMaxThreads(),
                NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads()};
    }
}

package io.sparkgan.runtime;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.nd4j.linalg.factory.Nd4j;

/** Process-wide ND4J settings for executors and the driver. */
public final class Nd4jSetup {
    private static volatile int threads = -1;
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
     * Caps ND4J's native threads: with several tasks per executor, each running its own ops, letting
     * every op spread over all cores oversubscribes the machine.
     */
    public static void threads(int n) {
        if (n > 0 && n != threads) {
            Nd4j.getEnvironment().setMaxMasterThreads(n);
            Nd4j.getEnvironment().setMaxThreads(n);
            threads = n;
        }
    }
}

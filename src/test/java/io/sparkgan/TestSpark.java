package io.sparkgan;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** One local[4] Spark context shared by the test classes of a JVM (starting one costs seconds). */
public final class TestSpark {
    private static JavaSparkContext context;

    private TestSpark() {
    }

    public static synchronized JavaSparkContext context() {
        if (context == null || context.sc().isStopped()) {
            context = new JavaSparkContext(conf("local[4]", "sparkgan-tests"));
            context.setLogLevel("WARN");
        }
        return context;
    }

    /**
     * A context of its own that retries a failed task ({@code tries} attempts in all: in local mode
     * Spark retries only when the master names them, local[N,F]); the shared one is stopped first.
     * Its log shows errors only: the injected task failures would fill it with stack traces.
     */
    public static synchronized JavaSparkContext retrying(int threads, int tries, String name) {
        stop();
        JavaSparkContext retrying = new JavaSparkContext(conf("local[" + threads + "," + tries + "]", name));
        retrying.setLogLevel("ERROR");
        return retrying;
    }

    private static SparkConf conf(String master, String name) {
        return new SparkConf().setMaster(master).setAppName(name)
                .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
                .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
    }

    /** Stops the shared context, for tests that start their own through the CLI. */
    public static synchronized void stop() {
        if (context != null) {
            context.close();
            context = null;
        }
    }
}

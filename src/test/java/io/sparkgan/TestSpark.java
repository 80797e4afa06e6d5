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
            SparkConf conf = new SparkConf().setMaster("local[4]").setAppName("sparkgan-tests")
                    .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
                    .set("spark.driver.host", "127.0.0.1").set("spark.driver.bindAddress", "127.0.0.1");
            context = new JavaSparkContext(conf);
            context.setLogLevel("WARN");
        }
        return context;
    }

    /** Stops the shared context, for tests that start their own through the CLI. */
    public static synchronized void stop() {
        if (context != null) {
            context.close();
            context = null;
        }
    }
}

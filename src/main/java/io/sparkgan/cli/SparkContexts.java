package io.sparkgan.cli;

import io.sparkgan.config.ConfigException;
import io.sparkgan.config.SparkSettings;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import scala.Tuple2;

/** Creates the Spark context from the config, respecting what spark-submit already decided. */
public final class SparkContexts {
    /** A master that refuses connections this many times, this long apart, is taken to be down. */
    private static final int MASTER_PROBE_ATTEMPTS = 3;
    private static final int MASTER_PROBE_TIMEOUT_MILLIS = 2000;

    private SparkContexts() {
    }

    public static SparkConf conf(SparkSettings settings, String stage) {
        SparkConf conf = new SparkConf(); // picks up spark.* system properties set by spark-submit
        conf.setAppName(settings.appName() + " " + stage);
        // spark-submit's --master wins over our default; an explicit spark.master in the config wins over both.
        if (settings.masterExplicit() || !conf.contains("spark.master")) {
            conf.setMaster(settings.master());
        }
        settings.conf().forEach(conf::set);
        // Our progress line says more than Spark's console bar, and the two would interleave.
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        // Every round each task returns a gradient of a few MB. Above this size (default 1 MB) Spark
        // parks a result in the block manager and the driver fetches it in a second trip, which cost
        // ~15 ms per round here (sparkgan bench); results stay far below spark.rpc.message.maxSize.
        conf.setIfMissing("spark.task.maxDirectResultSize", "64m");
        // A barrier job that finds too few task slots (an executor lost, not yet replaced) fails after
        // a few seconds instead of Spark's ten minutes of retries: the collective mode waits for the
        // slots itself, bounded by train.executor-wait-seconds, and says which executors went.
        conf.setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.interval", "1s");
        conf.setIfMissing("spark.scheduler.barrier.maxConcurrentTasksCheck.maxFailures", "3");
        return conf;
    }

    public static JavaSparkContext start(SparkSettings settings, String stage) {
        SparkConf conf = conf(settings, stage);
        requireReachableMaster(conf.get("spark.master", ""), MASTER_PROBE_ATTEMPTS, MASTER_PROBE_TIMEOUT_MILLIS);
        JavaSparkContext sc = new JavaSparkContext(conf);
        sc.setLogLevel("WARN");
        keepOurProgressVisible();
        return sc;
    }

    /**
     * Fails fast, with one line, when no master of a standalone {@code spark://} URL accepts a
     * connection. Spark itself retries for 60 s, logs a stack trace per attempt, and then reports
     * only "Cannot call methods on a stopped SparkContext". Other masters (local, yarn, k8s) are left
     * to Spark.
     */
    static void requireReachableMaster(String master, int attempts, int timeoutMillis) {
        if (!master.startsWith("spark://")) {
            return;
        }
        List<String> failures = new ArrayList<>();
        long started = System.nanoTime();
        for (int attempt = 1; attempt <= attempts; attempt++) {
            failures.clear();
            for (String hostPort : master.substring("spark://".length()).split(",")) {
                String problem = probe(hostPort.trim(), timeoutMillis);
                if (problem == null) {
                    return;
                }
                failures.add(hostPort.trim() + ": " + problem);
            }
            if (attempt < attempts) {
                sleep(timeoutMillis);
            }
        }
        throw new ConfigException("cannot reach the Spark master " + master + " (" + String.join("; ", failures)
                + "; tried " + attempts + " times over " + Math.round((System.nanoTime() - started) / 1e9) + " s)."
                + " Check spark.master (or spark-submit's --master) and that the master is running.");
    }

    /** Null when a TCP connection to host:port succeeds, else what went wrong. */
    private static String probe(String hostPort, int timeoutMillis) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            return "not host:port";
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(hostPort.substring(0, colon),
                    Integer.parseInt(hostPort.substring(colon + 1))), timeoutMillis);
            return null;
        } catch (NumberFormatException e) {
            return "not host:port";
        } catch (IOException e) {
            return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        }
    }

    private static void sleep(int millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * setLogLevel("WARN") quiets Spark's INFO chatter by lowering the root logger. Under
     * spark-submit the cluster's log4j2 configuration is in charge and usually names no level for
     * io.sparkgan, which then inherits WARN and the progress lines, checkpoint and FID messages
     * vanish from the driver log. Give io.sparkgan INFO unless that configuration sets it.
     */
    static void keepOurProgressVisible() {
        LoggerContext context =
                (LoggerContext) LogManager.getContext(false);
        if (!context.getConfiguration().getLoggers().containsKey("io.sparkgan")) {
            Configurator.setLevel("io.sparkgan",
                    Level.INFO);
        }
    }

    /**
     * Storage for what a command reads before its Spark context exists (a run's run.conf, a --config
     * file on S3): the Hadoop settings that context will have, i.e. the {@code spark.hadoop.*} keys of
     * {@code sparkConf} and of spark-submit's --conf, with the prefix removed. Credentials in the
     * environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) reach s3a through its own provider chain.
     */
    public static Storage storageBeforeStart(Map<String, String> sparkConf) {
        SparkConf conf = new SparkConf(); // spark.* system properties, as spark-submit passes --conf
        sparkConf.forEach(conf::set);
        Configuration hadoop = new Configuration();
        for (Tuple2<String, String> setting : conf.getAllWithPrefix("spark.hadoop.")) {
            hadoop.set(setting._1(), setting._2());
        }
        return new Storage(hadoop);
    }
}

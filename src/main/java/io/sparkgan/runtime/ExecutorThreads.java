package io.sparkgan.runtime;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/** How many native threads each task's ND4J ops may use, and what else a master gives each task. */
public final class ExecutorThreads {
    /** {@code local[N]}, {@code local[*]}, {@code local[N,F]}: N task slots, F attempts per task. */
    private static final Pattern LOCAL = Pattern.compile("local\\[(\\d+|\\*)(?:,\\s*(\\d+))?\\]");

    private ExecutorThreads() {
    }

    /**
     * The configured number, or the task's share of the cores: in {@code local[N]} the N tasks share
     * this machine; on a cluster each task owns {@code spark.task.cpus} cores.
     */
    public static int forTasks(JavaSparkContext sc, int configured) {
        if (configured > 0) {
            return configured;
        }
        int tasks = localTaskSlots(sc.master());
        if (tasks > 0) {
            return Math.max(1, Runtime.getRuntime().availableProcessors() / tasks);
        }
        return Math.max(1, sc.getConf().getInt("spark.task.cpus", 1));
    }

    /**
     * How many tasks a local master runs at once: N for {@code local[N]} and {@code local[N,F]}, the
     * cores for {@code local[*]}, 1 for {@code local}; -1 for any other master.
     */
    public static int localTaskSlots(String master) {
        if (master.equals("local")) {
            return 1;
        }
        Matcher m = LOCAL.matcher(master);
        if (!m.matches()) {
            return -1;
        }
        return m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(m.group(1));
    }

    /**
     * How many times Spark tries one task: F for {@code local[N,F]}, once for any other local
     * master, {@code spark.task.maxFailures} (default 4) on a cluster.
     */
    public static int taskAttempts(String master, SparkConf conf) {
        if (master.startsWith("local")) {
            Matcher m = LOCAL.matcher(master);
            return m.matches() && m.group(2) != null ? Integer.parseInt(m.group(2)) : 1;
        }
        return Math.max(1, conf.getInt("spark.task.maxFailures", 4));
    }
}

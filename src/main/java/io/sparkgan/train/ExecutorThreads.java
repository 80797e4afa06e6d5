package io.sparkgan.train;

import org.apache.spark.api.java.JavaSparkContext;

/** How many native threads each task's ND4J ops may use. */
public final class ExecutorThreads {
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
    static int localTaskSlots(String master) {
        if (master.equals("local")) {
            return 1;
        }
        if (!master.startsWith("local[")) {
            return -1;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[(\\d+)").matcher(master);
        return m.find() ? Integer.parseInt(m.group(1)) : Runtime.getRuntime().availableProcessors();
    }
}

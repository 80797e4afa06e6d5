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
        String master = sc.master();
        int cores = Runtime.getRuntime().availableProcessors();
        if (master.startsWith("local")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[(\\d+)").matcher(master);
            int tasks = m.find() ? Integer.parseInt(m.group(1)) : (master.equals("local") ? 1 : cores);
            return Math.max(1, cores / tasks);
        }
        return Math.max(1, sc.getConf().getInt("spark.task.cpus", 1));
    }
}

package io.sparkgan.distributed;

import io.sparkgan.runtime.JvmPlatforms;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.CollectionAccumulator;

/**
 * Which JVMs ran the steps since the last checkpoint ({@link JvmPlatforms}): every task of a round or a
 * collective job adds its JVM's entry to an accumulator, and the driver takes the distinct ones when it
 * writes a checkpoint ({@code state.json}'s {@code jvms}).
 */
final class PlatformLog implements Serializable {
    private final CollectionAccumulator<Map<String, Object>> seen = new CollectionAccumulator<>();
    /** On the driver: what the jobs since the last checkpoint recorded, one entry per JVM. */
    private final transient Map<String, Map<String, Object>> sinceCheckpoint = new TreeMap<>();

    PlatformLog(JavaSparkContext sc) {
        // unnamed: Spark copies a named accumulator's whole value into every task's UI record
        sc.sc().register(seen);
    }

    /** In a task: this JVM ran steps. */
    void record() {
        seen.add(JvmPlatforms.here());
    }

    /** On the driver, after each job: keeps one entry per JVM, so the accumulator stays small. */
    void absorb() {
        for (Map<String, Object> p : seen.value()) {
            sinceCheckpoint.putIfAbsent(JvmPlatforms.key(p), p);
        }
        seen.reset();
    }

    /** On the driver: the distinct JVMs recorded since the last call, by executor and host. */
    List<Map<String, Object>> drain() {
        absorb();
        List<Map<String, Object>> jvms = new ArrayList<>(sinceCheckpoint.values());
        sinceCheckpoint.clear();
        return jvms;
    }
}

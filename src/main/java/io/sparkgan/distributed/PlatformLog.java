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
    private final CollectionAccumulator<Map<String, Object>> seen;

    PlatformLog(JavaSparkContext sc) {
        this.seen = sc.sc().collectionAccumulator("sparkgan: JVMs that ran steps");
    }

    /** In a task: this JVM ran steps. */
    void record() {
        seen.add(JvmPlatforms.here());
    }

    /** On the driver: the distinct JVMs recorded since the last call, by executor and host. */
    List<Map<String, Object>> drain() {
        Map<String, Map<String, Object>> byKey = new TreeMap<>();
        for (Map<String, Object> p : seen.value()) {
            byKey.putIfAbsent(JvmPlatforms.key(p), p);
        }
        seen.reset();
        return new ArrayList<>(byKey.values());
    }
}

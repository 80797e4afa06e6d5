package io.sparkgan.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.Shards;
import io.sparkgan.data.StoredShards;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.train.TrainingJob;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * {@code sparkgan bench --data-modes}: training on real shards kept in memory against streamed from
 * the filesystem (data.cache), and the memory each mode holds as the dataset grows.
 * <ul>
 *   <li>step time: the real training loop in the configured master, the same run with each mode, in
 *       interleaved pairs (memory, then stream) so that the machine's drift hits both alike; the
 *       figure is the median of the pairs' ratios (memory's step time ÷ stream's: 1.0 is no cost);</li>
 *   <li>live heap in stream mode: for datasets of n and 4n images, the largest heap left after a full
 *       collection while training, sampled every second (a full collection is forced, so these runs
 *       are not timed), next to the baseline before any run. In {@code local[N]} the executors are
 *       this JVM.</li>
 * </ul>
 * The shards are random images written under {@code work}, read back through the page cache of a
 * local disk: this measures the reading machinery (read-ahead, windows, copies), not a network store.
 */
public final class DataModesBenchmark {
    private DataModesBenchmark() {
    }

    public static ObjectNode run(SparkganConfig config, JavaSparkContext sc, String work, int images, int pairs,
                                 int steps, int warmup) throws IOException {
        Storage storage = new Storage(sc.hadoopConfiguration());
        Path dir = Storage.qualify(work);
        GanArchitecture a = TrainingBenchmark.architecture(config);
        ObjectNode out = Json.object();
        out.put("images", images);
        out.put("bytes_per_image", a.pixelsPerImage());
        DatasetInfo small = dataset(storage, new Path(dir, "n"), config, images, 1);
        DatasetInfo large = dataset(storage, new Path(dir, "4n"), config, images * 4, 2);
        // Memory first, before any run has kept shards in this JVM (memory mode's are kept softly for
        // the JVM's life, and would count in the baseline).
        ObjectNode heap = out.putObject("stream_live_heap_mib");
        heap.put("baseline", usedAfterGc() / 1048576.0);
        heap.put("n", liveHeap(config, sc, storage, small, new Path(dir, "n"), steps) / 1048576.0);
        heap.put("4n", liveHeap(config, sc, storage, large, new Path(dir, "4n"), steps) / 1048576.0);

        ArrayNode rows = out.putArray("pairs");
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
            // alternate which mode runs first, so neither always follows the other's teardown
            JsonNode memory = i % 2 == 0 ? null : train(config, sc, storage, small, new Path(dir, "n"), true, steps,
                    warmup);
            JsonNode stream = train(config, sc, storage, small, new Path(dir, "n"), false, steps, warmup);
            if (memory == null) {
                memory = train(config, sc, storage, small, new Path(dir, "n"), true, steps, warmup);
            }
            ObjectNode row = rows.addObject();
            row.put("memory_step_s", memory.path("step_s").asDouble());
            row.put("stream_step_s", stream.path("step_s").asDouble());
            row.put("memory_data_wait_s", memory.path("data_wait_s").asDouble());
            row.put("stream_data_wait_s", stream.path("data_wait_s").asDouble());
            double ratio = memory.path("step_s").asDouble() / stream.path("step_s").asDouble();
            row.put("memory_over_stream", ratio);
            ratios.add(ratio);
        }
        out.put("stream_vs_memory_step_time", median(ratios));
        storage.delete(dir);
        return out;
    }

    private static DatasetInfo dataset(Storage storage, Path dir, SparkganConfig config, int count, long seed)
            throws IOException {
        GanArchitecture a = TrainingBenchmark.architecture(config);
        byte[] images = new byte[count * a.pixelsPerImage()];
        new Random(seed).nextBytes(images);
        return Shards.writeDataset(storage, dir, "random", images, a.channels(), a.imageSize(),
                config.data().idsPerShard());
    }

    /** One run; its median step time and data wait after the warm-up steps. */
    private static JsonNode train(SparkganConfig config, JavaSparkContext sc, Storage storage, DatasetInfo info,
                                  Path dir, boolean inMemory, int steps, int warmup) throws IOException {
        TrainingJob.Result result = TrainingJob.train(config, sc, storage,
                new StoredShards(storage, dir.toString(), info, inMemory), info, true);
        List<Double> stepTimes = new ArrayList<>();
        List<Double> waits = new ArrayList<>();
        for (String line : storage.readString(result.run().metrics()).split("\n")) {
            JsonNode m = Json.parse(line);
            if (m.path("step").asLong() > warmup && m.path("step").asLong() <= warmup + steps) {
                stepTimes.add(m.path("step_time_s").asDouble());
                waits.add(m.path("data_wait_s").asDouble());
            }
        }
        storage.delete(result.run().root());
        ObjectNode figures = Json.object();
        figures.put("step_s", median(stepTimes));
        figures.put("data_wait_s", median(waits));
        return figures;
    }

    /** The largest live heap (after a forced full collection, every second) during one stream-mode run. */
    private static long liveHeap(SparkganConfig config, JavaSparkContext sc, Storage storage, DatasetInfo info,
                                 Path dir, int steps) throws IOException {
        long[] peak = {usedAfterGc()};
        Thread watch = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak[0] = Math.max(peak[0], usedAfterGc());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "sparkgan-bench-live-heap");
        watch.setDaemon(true);
        watch.start();
        try {
            train(config, sc, storage, info, dir, false, steps, 0);
        } finally {
            watch.interrupt();
        }
        return peak[0];
    }

    private static long usedAfterGc() {
        System.gc();
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                used += pool.getUsage().getUsed();
            }
        }
        return used;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n == 0 ? Double.NaN : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}

package io.sparkgan.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.config.ConfigException;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.config.TrainConfig;
import io.sparkgan.data.ArrayShards;
import io.sparkgan.data.ShardReader;
import io.sparkgan.data.TrainingData;
import io.sparkgan.data.WorkerInput;
import io.sparkgan.distributed.LocalRounds;
import io.sparkgan.distributed.RoundRequest;
import io.sparkgan.distributed.Synchronisation;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import io.sparkgan.model.networks.GanNetwork;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanReplica;
import io.sparkgan.step.GanState;
import io.sparkgan.step.GanStep;
import io.sparkgan.train.Checkpoint;
import io.sparkgan.train.RunNetworks;
import io.sparkgan.train.TrainingJob;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@code sparkgan bench}: what one training step costs, measured, not estimated.
 * <ul>
 *   <li>single process: the executor's work for one GAN step (D round, G round, both Adam updates)
 *       in a loop on this JVM's threads, no Spark — the ceiling the cluster step is compared to;</li>
 *   <li>Spark: the real training loop in the configured master over random images, with the
 *       per-step split that {@code metrics.jsonl} records; medians after warm-up steps;</li>
 *   <li>checkpoint: one checkpoint write, amortised over {@code train.checkpoint-every} steps.</li>
 * </ul>
 * Peak memory is this JVM's (in {@code local[N]} the executors are this JVM): the heap, and the
 * process's resident set, which includes ND4J's native buffers outside the heap.
 */
public final class TrainingBenchmark {
    /**
     * The benchmarked networks. The benchmark trains on random unlabelled images, so it refuses a
     * conditional model rather than time one it cannot feed.
     */
    static GanArchitecture architecture(SparkganConfig config) {
        if (config.model().conditional()) {
            throw new ConfigException(List.of("bench trains on random unlabelled images: set model.conditional = false"
                    + " (a conditional model's step adds only G's one-hot input and D's projection term)"));
        }
        return config.architecture();
    }

    public static ObjectNode run(SparkganConfig config, JavaSparkContext sc, int singleThreads, int singleSteps,
                                 int sparkSteps, int warmup) throws IOException {
        GanArchitecture architecture = architecture(config);
        TrainConfig train = config.train();
        MemoryWatch memory = new MemoryWatch();
        memory.start();
        try {
            ObjectNode out = Json.object();
            out.put("model", architecture.toString());
            out.put("g_parameters", GanNetwork.of(architecture).generatorLayout().size());
            out.put("d_parameters", GanNetwork.of(architecture).discriminatorLayout().size());
            out.put("batch_per_worker", train.batchPerWorker());
            out.put("workers", train.workers());
            out.put("spark_master", sc.master());
            out.put("order", train.order().name().toLowerCase(Locale.ROOT));
            out.put("sync", Synchronisation.choose(sc, train).name().toLowerCase(Locale.ROOT));

            double single = singleProcess(config, singleThreads, singleSteps, warmup);
            out.put("single_process_threads", singleThreads);
            out.put("single_process_images_per_s", single);

            sparkLoop(config, sc, sparkSteps, warmup, out);
            out.put("peak_heap_bytes", memory.peakHeap);
            out.put("peak_rss_bytes", memory.peakRss);
            return out;
        } finally {
            memory.interrupt();
        }
    }

    /**
     * One executor's GAN step in a loop, without Spark: the real {@link GanStep} (D round, D update,
     * G round, G update) over rounds computed in this thread. Returns images/s.
     */
    public static double singleProcess(SparkganConfig config, int threads, int steps, int warmup) {
        GanArchitecture a = architecture(config);
        TrainConfig train = config.train();
        int batch = train.batchPerWorker();
        WorkerInput partition = singleProcessInput(config);
        GanState state = new GanState(GanNetwork.of(a).generatorLayout().initialise(1), GanNetwork.of(a).discriminatorLayout().initialise(2),
                train, RunNetworks.spectralNorm(config, a));
        GanStep step = new GanStep(train, new LocalRounds(partition, RoundRequest.Settings.of(a, train, threads)),
                state);
        long[] times = new long[steps];
        for (int s = 0; s < warmup + steps; s++) {
            long t = System.nanoTime();
            step.run();
            if (s >= warmup) {
                times[s - warmup] = System.nanoTime() - t;
            }
        }
        return batch / (median(times) / 1e9);
    }

    /**
     * What the single process reads: worker 0 of {@code train.workers} over random images, so each D
     * round judges {@code train.batch-per-worker} real images, as an executor's does (read as the only
     * worker, it took the whole global batch).
     */
    public static WorkerInput singleProcessInput(SparkganConfig config) {
        TrainConfig train = config.train();
        int pixels = architecture(config).pixelsPerImage();
        byte[] images = new byte[Math.max(train.batchPerWorker(), 1024) * pixels];
        new Random(1).nextBytes(images);
        ShardReader shards = ArrayShards.of(images, pixels, images.length / pixels);
        return new WorkerInput(0, train.workers(), TrainingData.order(train, config.data(), shards), shards);
    }

    /** The real training loop on Spark over random images; fills the Spark figures into {@code out}. */
    private static void sparkLoop(SparkganConfig config, JavaSparkContext sc, int steps, int warmup, ObjectNode out)
            throws IOException {
        TrainConfig train = config.train();
        GanArchitecture a = architecture(config);
        int workers = train.workers();
        int pixels = a.channels() * a.imageSize() * a.imageSize();
        int perWorker = Math.max(train.batchPerWorker() * 4, 256);
        byte[] images = new byte[workers * perWorker * pixels];
        new Random(2).nextBytes(images);
        Storage storage = new Storage(sc.hadoopConfiguration());
        TrainingJob.Result result = TrainingJob.train(config, sc, storage,
                ArrayShards.of(images, pixels, perWorker), null);
        List<JsonNode> lines = new ArrayList<>();
        for (String line : storage.readString(result.run().metrics()).split("\n")) {
            JsonNode m = Json.parse(line);
            if (m.path("step").asLong() > warmup) {
                lines.add(m);
            }
        }
        double step = median(lines, "step_time_s");
        double compute = median(lines, "compute_s");
        double sync = median(lines, "sync_s");
        double broadcast = median(lines, "broadcast_s");
        double update = median(lines, "update_s");
        long checkpointStarted = System.nanoTime();
        Checkpoint.write(storage, result.run(), stateOf(result, train),
                new GanReplica(a, train.loss(), train.realTarget(), DataType.FLOAT),
                new Checkpoint.Provenance(config.runId(), train.seed(), "", "", "bench", 0, "", "", List.of()), null);
        double checkpoint = (System.nanoTime() - checkpointStarted) / 1e9;

        out.put("spark_steps_measured", lines.size());
        out.put("spark_images_per_s", (double) train.batchPerWorker() * workers / step);
        out.put("sync_fraction", (step - compute) / step);
        ObjectNode split = out.putObject("step_time_s");
        split.put("total", step);
        split.put("executor_compute", compute);
        split.put("broadcast", broadcast);
        split.put("aggregate", Math.max(0, sync - broadcast));
        split.put("driver_update", update);
        split.put("checkpoint_amortised", checkpoint / train.checkpointEvery());
        out.put("checkpoint_write_s", checkpoint);
        out.put("bytes_moved_per_step", median(lines, "sync_bytes"));
        out.put("speedup_over_single_process",
                ((double) train.batchPerWorker() * workers / step) / out.path("single_process_images_per_s").asDouble());
        storage.delete(result.run().root());
    }

    private static GanState stateOf(TrainingJob.Result result, TrainConfig train) {
        GanState state = new GanState(result.generator(), result.discriminator(), train);
        state.setStep(result.steps() + 1); // a directory of its own next to the run's last checkpoint
        return state;
    }

    static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double median(List<JsonNode> lines, String key) {
        double[] v = lines.stream().mapToDouble(m -> m.path(key).asDouble()).sorted().toArray();
        return v.length == 0 ? Double.NaN : v[v.length / 2];
    }

    /** Samples this JVM's heap and the process's resident set every 50 ms. */
    private static final class MemoryWatch extends Thread {
        volatile long peakHeap;
        volatile long peakRss;

        MemoryWatch() {
            super("sparkgan-bench-memory");
            setDaemon(true);
        }

        @Override
        public void run() {
            while (!isInterrupted()) {
                long heap = 0;
                for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                    if (pool.getType() == MemoryType.HEAP) {
                        heap += pool.getUsage().getUsed();
                    }
                }
                peakHeap = Math.max(peakHeap, heap);
                peakRss = Math.max(peakRss, Pointer.physicalBytes());
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }
}

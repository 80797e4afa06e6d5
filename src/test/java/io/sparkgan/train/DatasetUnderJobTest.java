package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.FolderSnapshot;
import io.sparkgan.LogCapture;
import io.sparkgan.TestHdfs;
import io.sparkgan.TestSpark;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.DataException;
import io.sparkgan.data.DatasetGenerations;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.PreparedDataset;
import io.sparkgan.data.Preparer;
import io.sparkgan.data.SampleOrder;
import io.sparkgan.data.StoredShards;
import io.sparkgan.data.TrainingData;
import io.sparkgan.distributed.FaultHooks;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.step.TrainingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prepared dataset under a streaming training job: a {@code prepare --replace} meanwhile leaves the
 * job on the generation it started with (bit-identical to an undisturbed run, on local disk and on
 * HDFS) and takes over once it is done; a shard truncated or rewritten under it stops it with one
 * message naming the shard and the last good checkpoint, and the resume after restoring the shard is
 * bit-identical. 320 Fashion-MNIST images in 16 shards of 20, 4 lanes, windows of 10: an epoch is
 * 20 steps, and each lane reads its 4 shards front to back.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DatasetUnderJobTest {
    private static final int STEPS = 20;
    private static final Duration LEASE = Duration.ofSeconds(2);

    @TempDir
    Path tmp;
    private List<String> undisturbed;

    @AfterEach
    void clearFaults() {
        FaultHooks.clear();
    }

    private SparkganConfig config(String runId, String shards, String... more) {
        List<String> sets = new ArrayList<>(List.of("data.source=data-manifests/fashion-mnist.conf",
                "data.shards=" + shards, "data.limit=320", "data.shard-size=" + 20 * 788, "data.lanes=4",
                "data.shuffle-window=" + 10 * 784, "data.cache=stream", "train.workers=2", "train.batch-per-worker=8",
                "train.steps=" + STEPS, "train.checkpoint-every=5", "train.log-every=10", "train.sync=driver",
                "run.lease-timeout-seconds=" + LEASE.toSeconds()));
        sets.addAll(Arrays.asList(more));
        return TrainingFixtures.config(tmp, runId, sets.toArray(String[]::new));
    }

    private static List<String> bits(TrainingJob.Result result) {
        return List.of(result.generatorSha256(), result.discriminatorSha256());
    }

    /** The run nothing disturbs, on its own copy of the dataset (the same bytes as every other here). */
    private synchronized List<String> undisturbed() throws IOException {
        if (undisturbed == null) {
            undisturbed = bits(TrainingJob.run(config("undisturbed", tmp.resolve("reference").toString()),
                    TestSpark.context(), Storage.local()));
        }
        return undisturbed;
    }

    /** Runs {@code action} in the executor's task of partition 0 in a round of step {@code step} + 1, once. */
    private static AtomicBoolean atStep(int step, AtomicReference<Throwable> failure, ThrowingAction action) {
        AtomicBoolean done = new AtomicBoolean();
        FaultHooks.partition = (request, result) -> {
            if (request.round().step() == step && result.partition() == 0 && done.compareAndSet(false, true)) {
                // its own thread: a prepare's Spark jobs are not started from inside a task
                Thread other = new Thread(() -> {
                    try {
                        action.run();
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
                other.start();
                try {
                    other.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return result;
        };
        return done;
    }

    private interface ThrowingAction {
        void run() throws Exception;
    }

    /** Trains on {@code shards} while, at step 9, a prepare --replace writes 32×32 images there. */
    private List<String> trainWhileReplaced(Storage storage, String shards, String runId) throws IOException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicBoolean replaced = atStep(8, failure, () -> {
            PreparedDataset next = Preparer.prepare(TestSpark.context(),
                    config(runId, shards, "data.image-size=32").data(), storage, LEASE, true);
            assertEquals(1, next.generation());
        });
        String log;
        TrainingJob.Result result;
        try (LogCapture capture = new LogCapture()) {
            result = TrainingJob.run(config(runId, shards), TestSpark.context(), storage);
            log = capture.text();
        }
        assertNull(failure.get());
        assertTrue(replaced.get());
        assertTrue(log.contains("generation 0 of " + Storage.qualify(shards) + " was replaced by generation 1 but is"
                + " still read by sparkgan train "), log);
        return bits(result);
    }

    @Test
    void aReplaceUnderAStreamingJobLeavesItOnItsGenerationAndTheOtherSettingsAreRefusedAfter() throws Exception {
        Path shards = tmp.resolve("shards");
        assertEquals(undisturbed(), trainWhileReplaced(Storage.local(), shards.toString(), "replaced"),
                "the job finished on the generation it started with");
        // generation 1 is current; generation 0 went when its last reader let go
        assertEquals(32, DatasetInfo.fromJson(Files.readString(shards.resolve("generation-000001/dataset.json"))).size());
        assertFalse(Files.exists(shards.resolve("dataset.json")));
        try (Stream<Path> left = Files.list(shards)) {
            assertEquals(List.of("_lease", "_readers", "generation-000001"),
                    left.map(p -> p.getFileName().toString()).sorted().toList());
        }
        try (Stream<Path> readers = Files.list(shards.resolve("_readers"))) {
            assertEquals(0, readers.count(), "every reader's lease is let go");
        }

        // the old settings now meet another dataset: train refuses, and leaves data.shards as it was
        FolderSnapshot before = FolderSnapshot.of(shards);
        DataException refused = assertThrows(DataException.class,
                () -> TrainingJob.run(config("refused", shards.toString()), TestSpark.context(), Storage.local()));
        assertTrue(refused.getMessage().startsWith("data.shards " + Storage.qualify(shards.toString())
                + " (generation 1) holds another dataset than the one asked for"), refused.getMessage());
        assertTrue(refused.getMessage().contains("differing: data.image-size 32 there, 28 asked for"),
                refused.getMessage());
        assertTrue(refused.getMessage().contains("prepared " + DatasetInfo.fromJson(Files.readString(
                shards.resolve("generation-000001/dataset.json"))).createdAt() + " by sparkgan "), refused.getMessage());
        before.assertUnchanged();
        assertFalse(Files.exists(tmp.resolve("refused/run.conf")), "nothing trained");
    }

    @Test
    void aReplaceUnderAStreamingJobOnHdfsLeavesItOnItsGeneration() throws Exception {
        MiniDFSCluster cluster = TestHdfs.start(tmp.resolve("hdfs"), 0);
        try {
            Storage hdfs = new Storage(new Configuration());
            String shards = cluster.getURI() + "/shards";
            assertEquals(undisturbed(), trainWhileReplaced(hdfs, shards, "replaced-on-hdfs"));
            PreparedDataset current = DatasetGenerations.current(hdfs, Storage.qualify(shards));
            assertEquals(1, current.generation());
            assertEquals(32, current.info().size());
            assertFalse(hdfs.exists(new org.apache.hadoop.fs.Path(shards, "dataset.json")), "generation 0 is gone");
        } finally {
            cluster.shutdown(true);
        }
    }

    /**
     * A shard that lane 0 first reads for step 16 (global batch 15; its fourth shard): its first window
     * is read ahead at step 13, after step 11, when the test below changes it.
     */
    private Path laterShard(Path shards) throws IOException {
        SparkganConfig config = config("order", shards.toString());
        PreparedDataset dataset = Preparer.prepare(TestSpark.context(), config.data(), Storage.local());
        SampleOrder order = TrainingData.order(config.train(), config.data(),
                new StoredShards(Storage.local(), dataset.dir(), dataset.info(), false));
        int shard = order.locate(order.sample(15, 0)).shard();
        for (int t = 0; t < 15; t++) {
            for (int j = 0; j < order.globalBatch(); j++) {
                assertTrue(order.locate(order.sample(t, j)).shard() != shard, "shard " + shard + " is read at step " + t);
            }
        }
        return shards.resolve(dataset.info().shards().get(shard).file());
    }

    @Test
    void aShardTruncatedOrRewrittenUnderAStreamingJobStopsItAndTheResumeAfterRestoringItIsBitIdentical()
            throws Exception {
        Path shards = tmp.resolve("changing");
        Path shard = laterShard(shards);
        byte[] original = Files.readAllBytes(shard);
        FileTime preparedAt = Files.getLastModifiedTime(shard);
        byte[] rewritten = original.clone();
        for (int i = 200; i < rewritten.length; i += 97) {
            rewritten[i] ^= 0x5a;
        }
        Map<String, ThrowingAction> changes = new TreeMap<>(Map.of(
                "truncated", () -> Files.write(shard, Arrays.copyOf(original, original.length - 788)),
                "rewritten", () -> Files.write(shard, rewritten)));
        Map<String, String> whatChanged = Map.of(
                "truncated", "it has " + (original.length - 788) + " bytes, dataset.json says " + original.length,
                "rewritten", "it was rewritten at ");
        for (Map.Entry<String, ThrowingAction> change : changes.entrySet()) {
            String runId = change.getKey();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            atStep(10, failure, change.getValue());
            TrainingException stopped = assertThrows(TrainingException.class,
                    () -> TrainingJob.run(config(runId, shards.toString()), TestSpark.context(), Storage.local()));
            FaultHooks.clear();
            assertNull(failure.get());
            String message = stopped.getMessage();
            assertTrue(message.startsWith("step 16: "), message); // the first that needs it; read ahead at step 13
            assertTrue(message.contains("shard " + Storage.qualify(shard.toString()) + " of "
                    + Storage.qualify(shards.toString()) + " (generation 0) changed under this job: "
                    + whatChanged.get(runId)), message);
            assertTrue(message.endsWith("The last good checkpoint is " + RunDirectory.of(tmp.toString(), runId).checkpoint(15)
                    + "."), message);
            assertFalse(Files.exists(tmp.resolve(runId).resolve("_SUCCESS")));

            Files.write(shard, original); // restored: the same command resumes, to the undisturbed run's bits
            assertEquals(undisturbed(), bits(TrainingJob.run(config(runId, shards.toString()), TestSpark.context(),
                    Storage.local())), runId + ", then restored and resumed");
        }

        // rewritten and its time set back: only the SHA-256 of the shard, read front to back, tells
        Files.write(shard, rewritten);
        Files.setLastModifiedTime(shard, preparedAt);
        TrainingException stopped = assertThrows(TrainingException.class,
                () -> TrainingJob.run(config("hashed", shards.toString()), TestSpark.context(), Storage.local()));
        assertTrue(stopped.getMessage().contains("shard " + Storage.qualify(shard.toString()) + " of "
                + Storage.qualify(shards.toString()) + " (generation 0) changed under this job: the SHA-256 of its"
                + " bytes is "), stopped.getMessage());
        Files.write(shard, original);
    }

    /** A resume pointed at another dataset (other content, here another data.limit) stops naming both. */
    @Test
    void aResumeOnAnotherDatasetStopsNamingBoth() throws IOException {
        String first = tmp.resolve("first").toString();
        TrainingJob.Result trained = TrainingJob.run(config("moved", first, "train.steps=5"), TestSpark.context(),
                Storage.local());
        String other = tmp.resolve("other").toString();
        TrainingException refused = assertThrows(TrainingException.class, () -> TrainingJob.run(config("moved", other,
                "train.steps=10", "data.limit=300"), TestSpark.context(), Storage.local()));
        assertTrue(refused.getMessage().startsWith("cannot resume " + trained.run().root() + ": its checkpoint at step 5"
                + " was trained on the dataset whose content SHA-256 is " + trained.dataset().contentSha256()
                + " (dataset_sha256 in its state.json), and " + other + " now holds another ("), refused.getMessage());
        assertTrue(refused.getMessage().contains(", 300 images, prepared "), refused.getMessage());
    }
}

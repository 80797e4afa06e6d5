package io.sparkgan.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.LogCapture;
import io.sparkgan.TestSpark;
import io.sparkgan.config.DataConfig;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prepare interrupted: a task that dies half-way through writing its shard is run again and leaves no
 * extra file; a prepare that stopped part-way is resumed from its complete shards. Either way the
 * shards are the bytes an undisturbed prepare writes.
 */
class PrepareRetryTest {
    /** local[2,3]: three attempts per task. */
    private static JavaSparkContext sc;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startRetryingContext() {
        sc = TestSpark.retrying(2, 3, "sparkgan-prepare-retry");
    }

    @AfterAll
    static void stopContext() {
        sc.close();
    }

    @AfterEach
    void clearFault() {
        ShardTask.fault = null;
    }

    /** 1,000 Fashion-MNIST images in 4 shards, written by {@code tasks} tasks (0: one per shard). */
    private DatasetInfo prepare(String dir, int tasks) throws IOException {
        return Preparer.prepare(sc, new DataConfig("data-manifests/fashion-mnist.conf", tmp.resolve(dir).toString(),
                28, 1, "train", 1000, 250L * 788, tasks, 0.0, 50_000_000L, false, DataConfig.Cache.AUTO, 16, 8 << 20), Storage.local()).info();
    }

    private DatasetInfo prepare(String dir) throws IOException {
        return prepare(dir, 0);
    }

    /**
     * A prepare that stopped part-way (its one task failed at shard 2, every attempt) is resumed by the
     * next: the complete shards 0 and 1 are kept, only 2 and 3 are prepared, and the result is the
     * same bytes as an uninterrupted prepare.
     */
    @Test
    void aPrepareThatStoppedPartWayIsResumedFromItsCompleteShards() throws IOException {
        DatasetInfo clean = prepare("clean");
        ShardTask.fault = (shard, attempt, file) -> {
            if (shard == 2) {
                throw new IOException("injected: the source went away at shard 2");
            }
        };
        assertThrows(Exception.class, () -> prepare("resumed", 1));
        assertTrue(Files.exists(tmp.resolve("resumed/part-00001.npy")) && Files.exists(tmp.resolve("resumed/part-00001.json")));
        assertFalse(Files.exists(tmp.resolve("resumed/dataset.json")));

        Set<Integer> prepared = ConcurrentHashMap.newKeySet();
        ShardTask.fault = (shard, attempt, file) -> prepared.add(shard);
        DatasetInfo resumed;
        String log;
        try (LogCapture capture = new LogCapture()) {
            resumed = prepare("resumed", 1);
            log = capture.text();
        }
        assertEquals(Set.of(2, 3), prepared, "only the shards the first prepare had not finished");
        assertTrue(log.contains("resuming an interrupted prepare of ") && log.contains(": 2 of 4 shards are complete;"
                + " preparing the other 2"), log);
        assertEquals(clean.contentSha256(), resumed.contentSha256());
        assertEquals(clean.count(), resumed.count());
        assertEquals(Files.readString(tmp.resolve("clean/rejects.csv")), Files.readString(tmp.resolve("resumed/rejects.csv")));
        try (Stream<Path> files = Files.list(tmp.resolve("resumed"))) {
            assertEquals(List.of("_lease", "dataset.json", "part-00000.npy", "part-00001.npy", "part-00002.npy",
                    "part-00003.npy", "rejects.csv"), files.map(f -> f.getFileName().toString()).sorted().toList());
        }
    }

    /**
     * A shard another attempt of its task already wrote (a retry after a lost executor, a speculative
     * copy) is kept as it is, not deleted and written again under a dataset.json that may list it.
     */
    @Test
    void aShardAnotherAttemptWroteIsKept() throws IOException {
        DatasetInfo clean = prepare("clean");
        Path twin = tmp.resolve("twin/part-00001.npy");
        FileTime before = FileTime.fromMillis(1_000_000_000_000L);
        ShardTask.fault = (shard, attempt, file) -> {
            if (shard == 1) { // the twin attempt finished first
                Files.copy(tmp.resolve("clean/part-00001.npy"), twin);
                Files.setLastModifiedTime(twin, before);
            }
        };
        DatasetInfo info = prepare("twin");
        assertEquals(before, Files.getLastModifiedTime(twin), "not written again");
        assertEquals(clean.contentSha256(), info.contentSha256());
    }

    @Test
    void aTaskKilledMidWriteIsRunAgainAndLeavesNoExtraFile() throws IOException {
        DatasetInfo clean = prepare("clean");
        AtomicInteger failed = new AtomicInteger();
        ShardTask.fault = (shard, attempt, file) -> {
            if (shard == 2 && attempt == 0) {
                failed.incrementAndGet();
                // what a killed attempt leaves: its temporary file, half-written
                Files.write(Path.of(file.getParent().toUri()).resolve("." + file.getName() + "." + UUID.randomUUID()
                        + ".tmp"), new byte[1000]);
                throw new IOException("injected: the executor died while writing " + file.getName());
            }
        };
        DatasetInfo retried = prepare("retried");
        assertEquals(1, failed.get(), "the first attempt of shard 2 failed");
        assertEquals(clean.contentSha256(), retried.contentSha256());
        for (DatasetInfo.Shard shard : clean.shards()) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("clean").resolve(shard.file())),
                    Files.readAllBytes(tmp.resolve("retried").resolve(shard.file())));
        }
        try (Stream<Path> files = Files.list(tmp.resolve("retried"))) {
            assertEquals(List.of("_lease", "dataset.json", "part-00000.npy", "part-00001.npy", "part-00002.npy",
                    "part-00003.npy", "rejects.csv"), files.map(f -> f.getFileName().toString()).sorted().toList());
        }
        assertTrue(retried.shards().size() == 4);
    }
}

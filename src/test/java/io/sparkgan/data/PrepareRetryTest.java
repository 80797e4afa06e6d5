package io.sparkgan.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.config.DataConfig;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prepare task that dies on its first attempt, half-way through writing its shard, as an executor
 * killed mid-write leaves it: Spark runs the task again, and prepare ends with the same shards as an
 * undisturbed one and no other file.
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

    private DatasetInfo prepare(String dir) throws IOException {
        return Preparer.prepare(sc, new DataConfig("data-manifests/fashion-mnist.conf", tmp.resolve(dir).toString(),
                28, 1, "train", 1000, 250L * 788, 0, 0.0, 50_000_000L, false), Storage.local());
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

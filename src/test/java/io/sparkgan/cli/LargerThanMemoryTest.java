package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.SampleOrder;
import io.sparkgan.data.StoredShards;
import io.sparkgan.data.TrainingData;
import io.sparkgan.io.Storage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dataset three times larger than the JVM that prepares and trains it: 31,000 Fashion-MNIST items
 * at 128×128 RGB (1.52 GB decoded), `sparkgan train` in a JVM with a 512 MB heap and ND4J's off-heap
 * memory capped at 512 MB. data.cache = auto chooses stream mode, and the run finishes. Every image of
 * an epoch is in the run's sample order exactly once (checked on the order, not by training an epoch).
 */
class LargerThanMemoryTest {
    private static final int IMAGES = 31_000;

    @TempDir
    Path tmp;

    @Test
    void aDatasetLargerThanTheHeapPreparesAndTrainsInStreamMode() throws Exception {
        List<String> sets = List.of("spark.master=local[2]",
                // Spark refuses a heap under 450 MB unless told how much it may assume
                "spark.conf.\"spark.testing.memory\"=536870912",
                "data.shards=" + tmp.resolve("shards"), "data.limit=" + IMAGES, "data.image-size=128",
                "data.channels=3", "data.convert-channels=true", "data.lanes=4", "data.shuffle-window=4M",
                "output.dir=" + tmp.resolve("runs"), "run.id=large", "model.g-features=4", "model.d-features=4",
                "model.latent-dim=16", "train.workers=2", "train.batch-per-worker=2", "train.steps=3",
                "train.log-every=1", "train.sample-every=1000", "train.sample-count=4", "fid.enabled=false");
        List<String> args = new ArrayList<>(List.of("train", "--config", "conf/local.conf"));
        for (String set : sets) {
            args.add("--set");
            args.add(set);
        }
        Process process = new ProcessBuilder(OwnJvm.command("512m",
                List.of("-Dorg.bytedeco.javacpp.maxbytes=512m"), args)).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, process.exitValue(), out);
        assertFalse(out.contains("OutOfMemoryError"), out);

        DatasetInfo info = DatasetInfo.fromJson(Files.readString(tmp.resolve("shards/dataset.json")));
        long decoded = info.count() * 3 * 128 * 128;
        assertEquals(IMAGES, info.count());
        assertTrue(decoded > 1_500_000_000L, decoded + " bytes");
        assertTrue(out.matches("(?s).*train: 31000 images streamed from \\S+ \\(data\\.cache = auto: the dataset's"
                + " 1453\\.1 MiB decoded is more than a quarter of the driver's \\d+\\.\\d MiB\\).*"), out);
        assertTrue(Files.exists(tmp.resolve("runs/large/_SUCCESS")), out);

        SparkganConfig config = ConfigLoader.load(Path.of("conf/local.conf"), sets);
        SampleOrder order = TrainingData.order(config.train(), config.data(),
                new StoredShards(Storage.local(), tmp.resolve("shards").toString(), info, false));
        BitSet seen = new BitSet(IMAGES);
        for (int lane = 0; lane < order.lanes(); lane++) {
            for (long q = 0; q < order.laneLength(lane); q++) {
                int image = (int) order.storedIndex(new SampleOrder.Sample(lane, q));
                assertFalse(seen.get(image), "image " + image + " twice in epoch 0");
                seen.set(image);
            }
        }
        assertEquals(IMAGES, seen.cardinality(), "every image once in epoch 0");
    }
}

package io.sparkgan.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.config.DataConfig;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shard files ({@link Shards}): the same bytes however many tasks prepare them, readable by NumPy
 * as a memory-mapped structured array, and earlier formats prepared again.
 */
class ShardFormatTest {
    private static final int RECORD = 4 + 28 * 28;

    @TempDir
    Path tmp;
    private final Storage storage = Storage.local();

    /** 3,000 Fashion-MNIST images in shards of 200 ids, written by {@code tasks} Spark tasks. */
    private DatasetInfo prepare(String dir, int tasks) throws IOException {
        return prepare(dir, tasks, false).info();
    }

    private PreparedDataset prepare(String dir, int tasks, boolean replace) throws IOException {
        return Preparer.prepare(TestSpark.context(), new DataConfig("data-manifests/fashion-mnist.conf",
                tmp.resolve(dir).toString(), 28, 1, "train", 3000, 200L * RECORD, tasks, 0.0, 50_000_000L, false, DataConfig.Cache.AUTO, 16, 8 << 20),
                storage, Duration.ofSeconds(60), replace);
    }

    @Test
    void shardsAreTheSameBytesWhetherOneTwoOrSevenTasksWriteThem() throws IOException {
        DatasetInfo one = prepare("one", 1);
        DatasetInfo two = prepare("two", 2);
        DatasetInfo seven = prepare("seven", 7);
        assertEquals(15, one.shards().size());
        assertEquals(200, one.idsPerShard());
        for (int k = 0; k < 15; k++) {
            assertEquals(k, one.shards().get(k).index());
            assertEquals("part-%05d.npy".formatted(k), one.shards().get(k).file());
            byte[] bytes = Files.readAllBytes(tmp.resolve("one").resolve(one.shards().get(k).file()));
            assertEquals(bytes.length, one.shards().get(k).bytes());
            assertArrayEquals(bytes, Files.readAllBytes(tmp.resolve("two").resolve(one.shards().get(k).file())));
            assertArrayEquals(bytes, Files.readAllBytes(tmp.resolve("seven").resolve(one.shards().get(k).file())));
        }
        assertEquals(one.contentSha256(), two.contentSha256());
        assertEquals(one.contentSha256(), seven.contentSha256());
        try (Stream<Path> files = Files.list(tmp.resolve("seven"))) {
            assertEquals(17, files.filter(f -> !f.getFileName().toString().equals("_lease")).count(),
                    "15 shards, rejects.csv and dataset.json: no temporary file left");
        }
    }

    /**
     * NumPy, an independent reader, maps a shard without loading it and finds the labels and pixels
     * that Java reads and that the idx files hold.
     */
    @Test
    void numpyMemoryMapsAShardAsAStructuredArray() throws Exception {
        DatasetInfo info = prepare("numpy", 0);
        DatasetInfo.Shard shard = info.shards().get(3);
        Shards.Content content = Shards.read(storage, Storage.qualify(tmp.resolve("numpy").toString()), shard, 1, 28);
        Path file = tmp.resolve("numpy").resolve(shard.file());
        String script = String.join("\n",
                "import numpy as np, sys",
                "a = np.load(sys.argv[1], mmap_mode='r')",
                "assert isinstance(a, np.memmap), type(a)",
                "print(a.shape[0], a.dtype.itemsize, ' '.join(str(int(x)) for x in a['label'][:5]),",
                "      int(a['image'][7].astype(np.int64).sum()), a['image'].shape[1:])");
        Process python = new ProcessBuilder("python3", "-c", script, file.toString()).redirectErrorStream(true).start();
        String out = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(python.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, python.exitValue(), "python3 with numpy (Debian's python3-numpy) reads the shard: " + out);
        long sum = 0;
        for (int i = 7 * 784; i < 8 * 784; i++) {
            sum += content.images()[i] & 0xff;
        }
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            labels.add(Integer.toString(content.labels()[i]));
        }
        assertEquals("200 " + RECORD + " " + String.join(" ", labels) + " " + sum + " (1, 28, 28)", out);
    }

    @Test
    void aDatasetOfANewerFormatIsLeftAloneWithAMessage() throws IOException {
        Path dir = tmp.resolve("newer");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("dataset.json"), "{\"format_version\": 3}");
        Files.writeString(dir.resolve("part-00000.npy"), "a newer shard");
        DataException e = assertThrows(DataException.class, () -> prepare("newer", 0));
        assertTrue(e.getMessage().contains("holds a dataset in format 3, written by a newer sparkgan; this one writes"
                + " format 2 and leaves it alone"), e.getMessage());
        assertEquals("a newer shard", Files.readString(dir.resolve("part-00000.npy")));
    }

    @Test
    void aDatasetOfAnEarlierFormatIsRefusedThenReplacedWhenAskedTo() throws IOException {
        Path dir = tmp.resolve("old");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("dataset.json"), "{\"format_version\": 1, \"shards\": [{\"file\": \"part-00000.npz\"}]}");
        Files.writeString(dir.resolve("part-00000.npz"), "an npz shard");
        DataException refused = assertThrows(DataException.class, () -> prepare("old", 0));
        assertTrue(refused.getMessage().contains("holds a dataset in format 1 (an earlier sparkgan's), which this one"
                + " does not read; replace it with `sparkgan prepare --replace`"), refused.getMessage());
        assertEquals("an npz shard", Files.readString(dir.resolve("part-00000.npz")), "refused, and left as it was");

        PreparedDataset replaced = prepare("old", 0, true);
        assertEquals(1, replaced.generation());
        assertFalse(Files.exists(dir.resolve("part-00000.npz")), "the old generation goes: no job reads it");
        assertFalse(Files.exists(dir.resolve("dataset.json")));
        Path current = dir.resolve("generation-000001");
        assertEquals(3000, DatasetInfo.fromJson(Files.readString(current.resolve("dataset.json"))).count(), "format 2 now");
        assertTrue(Files.exists(current.resolve(replaced.info().shards().get(0).file())));
    }
}

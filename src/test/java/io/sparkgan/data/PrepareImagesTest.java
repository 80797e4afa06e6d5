package io.sparkgan.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.config.DataConfig;
import io.sparkgan.io.Storage;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrepareImagesTest {
    @TempDir
    Path tmp;
    Path images;
    Path shards;
    final Storage storage = Storage.local();

    @BeforeEach
    void writeImages() throws IOException {
        images = tmp.resolve("images");
        shards = tmp.resolve("shards");
        TestImages.write(images.resolve("shirts/a.png"), TestImages.encode(TestImages.grey(28, 28, 1), "png"));
        TestImages.write(images.resolve("shirts/b.png"), TestImages.encode(TestImages.grey(40, 30, 2), "png"));
        TestImages.write(images.resolve("shoes/c.jpg"), TestImages.encode(TestImages.grey(28, 28, 3), "jpg"));
        TestImages.write(images.resolve("shoes/d.png"), new byte[0]);
        byte[] whole = TestImages.encode(TestImages.grey(28, 28, 4), "png");
        TestImages.write(images.resolve("shoes/e.png"), Arrays.copyOf(whole, whole.length / 2));
        TestImages.write(images.resolve("shoes/f.png"), "hello, I am text".getBytes());
        TestImages.write(images.resolve("shoes/g.png"), TestImages.encode(TestImages.rgb(28, 28, 5), "png"));
        TestImages.write(images.resolve("notes.txt"), "a side file, not an image".getBytes());
    }

    private DataConfig config(String source, double maxRejects, boolean convert) {
        return new DataConfig(source, shards.toString(), 28, 1, "train", 0, 2L * 788, 0, maxRejects, 50_000_000L, convert, DataConfig.Cache.AUTO, 16, 8 << 20);
    }

    private Map<String, String> rejects() throws IOException {
        Map<String, String> byFile = new HashMap<>();
        List<List<String>> rows = Csv.parse(Files.readString(shards.resolve("rejects.csv")));
        assertEquals(List.of("path", "reason"), rows.get(0));
        for (List<String> row : rows.subList(1, rows.size())) {
            assertEquals(2, row.size(), row.toString());
            String path = row.get(0);
            byFile.put(path.substring(path.lastIndexOf('/') + 1), row.get(1));
        }
        return byFile;
    }

    @Test
    void eachBadImageIsSetAsideWithItsReason() throws IOException {
        DatasetInfo info = Preparer.prepare(TestSpark.context(), config(images.toString(), 1.0, false), storage).info();
        assertEquals(3, info.count());
        assertEquals(4, info.rejected());
        assertEquals(List.of("shirts", "shoes"), info.classes());
        assertArrayEquals(new long[] {2, 1}, info.labelCounts());
        Map<String, String> rejects = rejects();
        assertEquals(4, rejects.size(), rejects.toString());
        assertTrue(rejects.get("d.png").contains("empty file (0 bytes)"), rejects.toString());
        assertTrue(rejects.get("e.png").startsWith("truncated: the file ends before its image data does"), rejects.toString());
        assertTrue(rejects.get("f.png").contains("not an image"), rejects.toString());
        assertTrue(rejects.get("g.png").contains("has 3 channels (RGB), expected 1 channel (grey)"), rejects.toString());
        assertTrue(Files.exists(shards.resolve(DatasetInfo.FILE)));
        assertEquals(2, info.shards().size(), "2 images per shard: 3 images make 2 shards");
    }

    @Test
    void csvManifestReportsMissingFilesAndChecksumMismatches() throws IOException {
        String goodSha = Hashes.sha256Hex(Files.readAllBytes(images.resolve("shirts/a.png")));
        Files.writeString(images.resolve("list.csv"), "path,label,sha256\n"
                + "shirts/a.png,shirt," + goodSha + "\n"
                + "shirts/b.png,shirt," + "0".repeat(64) + "\n"
                + "shoes/missing.png,shoe,\n"
                + "\"shoes/c.jpg\",shoe,\n");
        DatasetInfo info = Preparer.prepare(TestSpark.context(), config(images.resolve("list.csv").toString(), 1.0, false), storage).info();
        assertEquals(2, info.count());
        assertEquals(List.of("shirt", "shoe"), info.classes());
        Map<String, String> rejects = rejects();
        assertTrue(rejects.get("b.png").startsWith("checksum mismatch: SHA-256 is "), rejects.toString());
        assertTrue(rejects.get("b.png").contains("the manifest says " + "0".repeat(64)), rejects.toString());
        assertTrue(rejects.get("missing.png").startsWith("missing:"), rejects.toString());
    }

    @Test
    void tooManyRejectsFailsNamingTheShareAndTheRejectList() {
        DataException e = assertThrows(DataException.class,
                () -> Preparer.prepare(TestSpark.context(), config(images.toString(), 0.01, false), storage).info());
        assertTrue(e.getMessage().contains("4 of 7 images (57.14%) were rejected"), e.getMessage());
        assertTrue(e.getMessage().contains("data.max-reject-fraction=0.01"), e.getMessage());
        assertTrue(e.getMessage().contains("rejects.csv"), e.getMessage());
        assertFalse(Files.exists(shards.resolve(DatasetInfo.FILE)), "no dataset.json for a failed prepare");
        assertTrue(Files.exists(shards.resolve("rejects.csv")), "the reasons stay for the user to read");
    }

    @Test
    void convertChannelsAcceptsRgbIntoAGreyDataset() throws IOException {
        DatasetInfo info = Preparer.prepare(TestSpark.context(), config(images.toString(), 1.0, true), storage).info();
        assertEquals(4, info.count());
        assertFalse(rejects().containsKey("g.png"));
    }

    @Test
    void missingSourceIsNamed() {
        DataException e = assertThrows(DataException.class,
                () -> Preparer.prepare(TestSpark.context(), config(tmp.resolve("nowhere").toString(), 1.0, false), storage).info());
        assertTrue(e.getMessage().contains("nowhere does not exist"), e.getMessage());
    }

    @Test
    void preparedShardsAreReusedUntilTheSourceChangesThenRefusedUntilReplaced() throws IOException {
        DatasetInfo first = Preparer.prepare(TestSpark.context(), config(images.toString(), 1.0, false), storage).info();
        DatasetInfo again = Preparer.prepare(TestSpark.context(), config(images.toString(), 1.0, false), storage).info();
        assertEquals(first.createdAt(), again.createdAt(), "unchanged source: the shards are reused");
        TestImages.write(images.resolve("shirts/z.png"), TestImages.encode(TestImages.grey(28, 28, 9), "png"));
        String before = Files.readString(shards.resolve(DatasetInfo.FILE));
        DataException refused = assertThrows(DataException.class,
                () -> Preparer.prepare(TestSpark.context(), config(images.toString(), 1.0, false), storage));
        assertTrue(refused.getMessage().contains("differing: the source's content changed since"), refused.getMessage());
        assertEquals(before, Files.readString(shards.resolve(DatasetInfo.FILE)), "refused, and left as it was");
        PreparedDataset changed = Preparer.prepare(TestSpark.context(), config(images.toString(), 1.0, false), storage,
                Duration.ofSeconds(60), true);
        assertEquals(1, changed.generation());
        assertEquals(first.count() + 1, changed.info().count());
        assertFalse(changed.info().contentSha256().equals(first.contentSha256()));
        assertFalse(Files.exists(shards.resolve(DatasetInfo.FILE)), "generation 0, replaced and read by no job, is gone");
    }

    @Test
    void shardsHoldTheResizedPixels() throws IOException {
        Path flat = tmp.resolve("flat");
        BufferedImage uniform = new BufferedImage(56, 70, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 70; y++) {
            for (int x = 0; x < 56; x++) {
                uniform.getRaster().setSample(x, y, 0, 100);
            }
        }
        TestImages.write(flat.resolve("one.png"), TestImages.encode(uniform, "png"));
        DatasetInfo info = Preparer.prepare(TestSpark.context(), new DataConfig(flat.toString(), shards.toString(), 28, 1, "train", 0, 10L * 788, 0,
                0.0, 50_000_000L, false, DataConfig.Cache.AUTO, 16, 8 << 20), storage).info();
        Shards.Content content = Shards.read(storage, Storage.qualify(shards.toString()), info.shards().get(0), info.channels(), info.size());
        assertEquals(28 * 28, content.images().length);
        for (byte b : content.images()) {
            assertEquals(100, b & 0xff);
        }
        assertEquals(-1, content.labels()[0], "an image directly in the root folder is unlabelled");
    }

    @Test
    void damagedShardIsDetectedWhenRead() throws IOException {
        DatasetInfo info = Preparer.prepare(TestSpark.context(), config(images.toString(), 1.0, false), storage).info();
        Path shard = shards.resolve(info.shards().get(0).file());
        byte[] bytes = Files.readAllBytes(shard);
        bytes[bytes.length - 1] ^= 1;
        Files.write(shard, bytes);
        DataException e = assertThrows(DataException.class,
                () -> Shards.read(storage, Storage.qualify(shards.toString()), info.shards().get(0), info.channels(), info.size()));
        assertTrue(e.getMessage().contains("is damaged"), e.getMessage());
    }

    @Test
    void areaAveragingShrinksExactly() {
        byte[] twoByTwo = {10, 20, 30, 40};
        assertArrayEquals(new byte[] {25}, Resizer.centreCropAndResize(twoByTwo, 1, 2, 2, 1));
    }
}

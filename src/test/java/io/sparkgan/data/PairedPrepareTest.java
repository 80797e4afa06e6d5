package io.sparkgan.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.config.DataConfig;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** data.layout = aligned: pix2pix's folders and a paired manifest, prepared into pair records. */
class PairedPrepareTest {
    private static final int SIZE = 16;
    @TempDir
    Path tmp;
    final Storage storage = Storage.local();

    private DataConfig aligned(String source, String split, long limit, int channels) {
        return new DataConfig(source, tmp.resolve("shards").toString(), SIZE, channels, split, limit, 1 << 20, 0, 1.0,
                50_000_000L, false, DataConfig.Cache.AUTO, 16, 8 << 20, DataConfig.Layout.ALIGNED,
                DataConfig.Direction.A_TO_B);
    }

    /** A 2h × h RGB file: left half A, right half B, each its own seeded pattern. */
    private static BufferedImage pair(int height, long seedA, long seedB) {
        BufferedImage a = TestImages.rgb(height, height, seedA);
        BufferedImage b = TestImages.rgb(height, height, seedB);
        BufferedImage both = new BufferedImage(2 * height, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < height; x++) {
                both.setRGB(x, y, a.getRGB(x, y));
                both.setRGB(height + x, y, b.getRGB(x, y));
            }
        }
        return both;
    }

    /** What prepare makes of one square image on its own: CHW, resized to SIZE. */
    private static byte[] prepared(BufferedImage image) throws IOException {
        Prepared p = new ImageDecoder(SIZE, 3, 50_000_000L, false).decode("x.png", TestImages.encode(image, "png"), -1);
        return ((ImageRecord) p).pixels();
    }

    @Test
    void alignedFilesAreSplitResizedAndKeptTogetherWithTheHeldOutSplitBeside() throws IOException {
        Path root = tmp.resolve("facades");
        TestImages.write(root.resolve("train/1.png"), TestImages.encode(pair(40, 1, 2), "png"));
        TestImages.write(root.resolve("train/2.png"), TestImages.encode(pair(24, 3, 4), "png"));
        TestImages.write(root.resolve("train/3.png"), TestImages.encode(TestImages.rgb(40, 30, 5), "png"));
        TestImages.write(root.resolve("train/4.png"), "not an image at all".getBytes());
        TestImages.write(root.resolve("val/5.png"), TestImages.encode(pair(32, 6, 7), "png"));
        TestImages.write(root.resolve("test/6.png"), TestImages.encode(pair(32, 8, 9), "png"));
        TestImages.write(root.resolve("test/7.png"), TestImages.encode(pair(20, 10, 11), "png"));

        PreparedDataset dataset = Preparer.prepare(TestSpark.context(), aligned(root.toString(), "train", 0, 3), storage);
        DatasetInfo info = dataset.info();
        assertEquals("facades", info.name());
        assertEquals(2, info.count());
        assertEquals(2, info.rejected());
        assertTrue(info.paired());
        assertEquals(6, info.channels(), "a record holds A's 3 channels, then B's");
        assertEquals(3, info.imageChannels());
        String rejects = Files.readString(tmp.resolve("shards/rejects.csv"));
        assertTrue(rejects.contains("3.png,\"is 40×30, not an aligned pair") && rejects.contains("(expected 60×30)"), rejects);
        assertTrue(rejects.contains("4.png,not an image"), rejects);

        byte[] images = Shards.readImages(storage, dataset.dirPath(), info, 0, 2);
        int plane = 3 * SIZE * SIZE;
        byte[] expected = new byte[4 * plane];
        System.arraycopy(prepared(TestImages.rgb(40, 40, 1)), 0, expected, 0, plane);
        System.arraycopy(prepared(TestImages.rgb(40, 40, 2)), 0, expected, plane, plane);
        System.arraycopy(prepared(TestImages.rgb(24, 24, 3)), 0, expected, 2 * plane, plane);
        System.arraycopy(prepared(TestImages.rgb(24, 24, 4)), 0, expected, 3 * plane, plane);
        assertArrayEquals(expected, images, "each half resized on its own, as a single image is");

        var json = Json.parse(Files.readString(tmp.resolve("shards/dataset.json")));
        assertEquals("aligned", json.path("layout").asText());
        assertEquals("[('label', '<i4'), ('image', '|u1', (6, 16, 16))]", json.path("record_dtype").asText());

        Path heldDir = tmp.resolve("shards").resolve(PreparedDataset.HELD_OUT);
        DatasetInfo held = DatasetInfo.fromJson(Files.readString(heldDir.resolve(DatasetInfo.FILE)));
        assertEquals(2, held.count(), "test/ is the held-out split, not val/");
        assertTrue(held.paired());
        assertTrue(held.source().equals(root.toString()) && held.settings().get("data.split").equals("test"),
                held.settings().toString());

        // the same settings reuse it; a change in the held-out split is another dataset
        assertEquals(info.fingerprint(), Preparer.prepare(TestSpark.context(), aligned(root.toString(), "train", 0, 3),
                storage).info().fingerprint());
        TestImages.write(root.resolve("test/8.png"), TestImages.encode(pair(20, 12, 13), "png"));
        DataException changed = assertThrows(DataException.class, () -> Preparer.prepare(TestSpark.context(),
                aligned(root.toString(), "train", 0, 3), storage));
        assertTrue(changed.getMessage().contains("the source's content changed"), changed.getMessage());
    }

    @Test
    void anAlignedFolderWithoutItsTrainingSplitIsRefusedSayingWhatItHolds() throws IOException {
        Path root = tmp.resolve("maps");
        TestImages.write(root.resolve("1.png"), TestImages.encode(pair(16, 1, 2), "png"));
        TestImages.write(root.resolve("val/2.png"), TestImages.encode(pair(16, 1, 2), "png"));
        DataException e = assertThrows(DataException.class, () -> Preparer.prepare(TestSpark.context(),
                aligned(root.toString(), "train", 0, 3), storage));
        assertTrue(e.getMessage().contains("data.layout = aligned reads pix2pix's layout, a train/ folder")
                && e.getMessage().contains("(it holds 1.png, val/)"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("shards/dataset.json")));
    }

    @Test
    void theEdgesManifestPairsEachFashionMnistImageWithItsSketch() throws IOException {
        DataConfig pairs = aligned("data-manifests/fashion-mnist-edges.conf", "train", 40, 1);
        PreparedDataset dataset = Preparer.prepare(TestSpark.context(), pairs, storage);
        DatasetInfo info = dataset.info();
        assertEquals(40, info.count());
        assertEquals(2, info.channels());
        assertEquals(10, info.classes().size());
        DatasetInfo plain = Preparer.prepare(TestSpark.context(), new DataConfig("data-manifests/fashion-mnist.conf",
                tmp.resolve("plain").toString(), SIZE, 1, "train", 40, 1 << 20, 0, 0.0, 50_000_000L, false,
                DataConfig.Cache.AUTO, 16, 8 << 20), storage).info();
        Shards.Content pairContent = Shards.readRange(storage, dataset.dirPath(), info, 0, 40);
        byte[] plainImages = Shards.readImages(storage, new org.apache.hadoop.fs.Path(tmp.resolve("plain").toUri()),
                plain, 0, 40);
        int plane = SIZE * SIZE;
        int edges = 0;
        for (int i = 0; i < 40; i++) {
            byte[] b = Arrays.copyOfRange(plainImages, i * plane, (i + 1) * plane);
            byte[] a = Arrays.copyOfRange(pairContent.images(), 2 * i * plane, (2 * i + 1) * plane);
            assertArrayEquals(b, Arrays.copyOfRange(pairContent.images(), (2 * i + 1) * plane, (2 * i + 2) * plane),
                    "B is the image as the plain manifest prepares it");
            assertArrayEquals(sobelSketch(b), a, "A is its edge sketch");
            for (byte v : a) {
                edges += v != 0 ? 1 : 0;
            }
        }
        assertTrue(edges > 40 * plane / 20 && edges < 40 * plane / 2, "the sketches draw outlines: " + edges);
        DatasetInfo held = DatasetInfo.fromJson(Files.readString(
                tmp.resolve("shards").resolve(PreparedDataset.HELD_OUT).resolve(DatasetInfo.FILE)));
        assertEquals(40, held.count(), "the test split, beside it, with the same limit");

        DataException single = assertThrows(DataException.class, () -> Preparer.prepare(TestSpark.context(),
                new DataConfig("data-manifests/fashion-mnist-edges.conf", tmp.resolve("other").toString(), SIZE, 1,
                        "train", 40, 1 << 20, 0, 0.0, 50_000_000L, false, DataConfig.Cache.AUTO, 16, 8 << 20), storage));
        assertTrue(single.getMessage().contains("holds pairs (its layout is aligned), and data.layout is images"),
                single.getMessage());
    }

    /** The sketch by the definition, in doubles: 3×3 Sobel by explicit kernels, the border replicated. */
    private static byte[] sobelSketch(byte[] grey) {
        double[][] kx = {{-1, 0, 1}, {-2, 0, 2}, {-1, 0, 1}};
        byte[] out = new byte[SIZE * SIZE];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                double gx = 0;
                double gy = 0;
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        int v = grey[Math.min(SIZE - 1, Math.max(0, y + dy)) * SIZE + Math.min(SIZE - 1, Math.max(0, x + dx))] & 0xff;
                        gx += kx[dy + 1][dx + 1] * v;
                        gy += kx[dx + 1][dy + 1] * v;
                    }
                }
                out[y * SIZE + x] = (byte) (Math.abs(gx) + Math.abs(gy) >= EdgeSketch.THRESHOLD ? 255 : 0);
            }
        }
        return out;
    }
}

package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.TestHdfs;
import io.sparkgan.TestSpark;
import io.sparkgan.config.DataConfig;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.eval.EvaluationException;
import io.sparkgan.eval.Sampling;
import io.sparkgan.eval.Translation;
import io.sparkgan.io.Json;
import io.sparkgan.io.Png;
import io.sparkgan.io.Storage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code translate} on a pix2pix checkpoint: a folder mapped with its outputs named as its inputs, bad
 * files listed, the same bits on 1 and 3 executors and from HDFS, an aligned file's input half, and
 * {@code sample} refusing the checkpoint.
 */
class TranslateTest {
    @TempDir
    Path tmp;

    private static byte[] png(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, format, out);
        return out.toByteArray();
    }

    private static BufferedImage noise(int width, int height, long seed, int type) {
        BufferedImage image = new BufferedImage(width, height, type);
        Random random = new Random(seed);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(0x1000000));
            }
        }
        return image;
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }

    private static Translation.Settings settings(boolean aligned) {
        return settings(aligned, DataConfig.Direction.A_TO_B);
    }

    /** @param direction null for the checkpoint's own */
    private static Translation.Settings settings(boolean aligned, DataConfig.Direction direction) {
        return new Translation.Settings(aligned, direction, 5, 2, 1, 50_000_000L);
    }

    /** A small pix2pix run on edge → Fashion-MNIST pairs. */
    private String[] configSets(String... more) {
        List<String> sets = new ArrayList<>(List.of("model.architecture=pix2pix", "data.layout=aligned",
                "data.source=data-manifests/fashion-mnist-edges.conf", "data.shards=" + tmp.resolve("shards"),
                "data.image-size=16", "data.limit=32", "model.g-features=4", "model.d-features=4", "train.workers=2",
                "train.batch-per-worker=4", "train.steps=2"));
        sets.addAll(List.of(more));
        return sets.toArray(String[]::new);
    }

    @Test
    void mapsAFolderWithTheSameBitsOnAnyExecutorsAndFromHdfs() throws Exception {
        SparkganConfig config = TrainingFixtures.config(tmp, "p2p", configSets());
        TrainingJob.run(config, TestSpark.context(), Storage.local());
        Path in = tmp.resolve("in");
        BufferedImage sketch = noise(16, 16, 1, BufferedImage.TYPE_BYTE_GRAY);
        write(in.resolve("a.png"), png(sketch, "png"));
        write(in.resolve("sub/b.jpg"), png(noise(20, 24, 2, BufferedImage.TYPE_INT_RGB), "jpg"));
        write(in.resolve("x.jpg"), png(noise(16, 16, 3, BufferedImage.TYPE_INT_RGB), "jpg"));
        write(in.resolve("x.png"), png(noise(16, 16, 4, BufferedImage.TYPE_BYTE_GRAY), "png"));
        write(in.resolve("bad.png"), "not an image".getBytes());
        write(in.resolve("notes.txt"), "a side file".getBytes());
        org.apache.hadoop.fs.Path checkpoint = Sampling.resolveCheckpoint(Storage.local(), tmp.resolve("p2p").toString());

        JavaSparkContext one = TestSpark.retrying(1, 1, "translate-1");
        Translation.Result single;
        try {
            single = Translation.write(one, Storage.local(), checkpoint, Storage.qualify(in.toString()),
                    Storage.qualify(tmp.resolve("out1").toString()), settings(false));
        } finally {
            one.close();
        }
        JavaSparkContext three = TestSpark.retrying(3, 1, "translate-3");
        try {
            Translation.write(three, Storage.local(), checkpoint, Storage.qualify(in.toString()),
                    Storage.qualify(tmp.resolve("out3").toString()), settings(false));
        } finally {
            three.close();
        }
        assertEquals(2, single.written());
        for (String out : List.of("a.png", "sub/b.png")) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("out1").resolve(out)),
                    Files.readAllBytes(tmp.resolve("out3").resolve(out)), out + ": the same bits on 1 and 3 executors");
        }
        assertFalse(Files.exists(tmp.resolve("out1/x.png")), "a clash writes neither");
        JsonNode manifest = Json.parse(Files.readString(tmp.resolve("out1").resolve(Translation.MANIFEST)));
        assertEquals(6, manifest.path("counts").path("inputs").asInt());
        assertEquals(4, manifest.path("counts").path("skipped").asInt());
        String skipped = manifest.path("skipped").toString();
        assertTrue(skipped.contains("\"x.jpg\",\"reason\":\"its output x.png is also the output of x.png")
                && skipped.contains("not an image: no PNG or JPEG signature") && skipped.contains("notes.txt"), skipped);
        try (InputStream png = Files.newInputStream(tmp.resolve("out1/sub/b.png"))) {
            Map<String, String> text = Png.readText(png);
            assertEquals("sub/b.jpg", text.get("sparkgan:source"));
            assertEquals("true", text.get("Synthetic"));
        }
        BufferedImage output = ImageIO.read(tmp.resolve("out1/a.png").toFile());
        assertEquals(16, output.getWidth());

        // an aligned file whose left half is a.png gives a.png's output (index 0 in both listings)
        Path aligned = tmp.resolve("aligned");
        BufferedImage pair = new BufferedImage(32, 16, BufferedImage.TYPE_BYTE_GRAY);
        pair.getGraphics().drawImage(sketch, 0, 0, null);
        pair.getGraphics().drawImage(noise(16, 16, 9, BufferedImage.TYPE_BYTE_GRAY), 16, 0, null);
        write(aligned.resolve("a.png"), png(pair, "png"));
        write(aligned.resolve("wide.png"), png(noise(40, 16, 9, BufferedImage.TYPE_BYTE_GRAY), "png"));
        Translation.write(TestSpark.context(), Storage.local(), checkpoint, Storage.qualify(aligned.toString()),
                Storage.qualify(tmp.resolve("out-aligned").toString()), settings(true));
        assertArrayEquals(pixels(tmp.resolve("out1/a.png")), pixels(tmp.resolve("out-aligned/a.png")));
        assertTrue(Files.readString(tmp.resolve("out-aligned").resolve(Translation.MANIFEST))
                .contains("is 40×16, not an aligned pair"));

        // a BtoA checkpoint maps an aligned file's right half unless told otherwise
        TrainingJob.run(TrainingFixtures.config(tmp, "p2p-ba", configSets("data.direction=BtoA")), TestSpark.context(),
                Storage.local());
        org.apache.hadoop.fs.Path reversed = Sampling.resolveCheckpoint(Storage.local(), tmp.resolve("p2p-ba").toString());
        Path swapped = tmp.resolve("swapped");
        BufferedImage flipped = new BufferedImage(32, 16, BufferedImage.TYPE_BYTE_GRAY);
        flipped.getGraphics().drawImage(noise(16, 16, 9, BufferedImage.TYPE_BYTE_GRAY), 0, 0, null);
        flipped.getGraphics().drawImage(sketch, 16, 0, null);
        write(swapped.resolve("a.png"), png(flipped, "png"));
        Translation.write(TestSpark.context(), Storage.local(), reversed, Storage.qualify(in.toString()),
                Storage.qualify(tmp.resolve("out-ba").toString()), settings(false));
        Translation.write(TestSpark.context(), Storage.local(), reversed, Storage.qualify(swapped.toString()),
                Storage.qualify(tmp.resolve("out-ba-aligned").toString()), settings(true, null));
        assertArrayEquals(pixels(tmp.resolve("out-ba/a.png")), pixels(tmp.resolve("out-ba-aligned/a.png")));
        assertEquals("BtoA", Json.parse(Files.readString(tmp.resolve("out-ba-aligned").resolve(Translation.MANIFEST)))
                .path("direction").asText());

        EvaluationException inside = assertThrows(EvaluationException.class, () -> Translation.write(
                TestSpark.context(), Storage.local(), checkpoint, Storage.qualify(in.toString()),
                Storage.qualify(in.resolve("made").toString()), settings(false)));
        assertTrue(inside.getMessage().contains("is inside --in"), inside.getMessage());
        assertFalse(Files.exists(in.resolve("made")), "nothing written");

        MiniDFSCluster cluster = TestHdfs.start(tmp.resolve("hdfs"), 0);
        try {
            Storage hdfs = new Storage(new Configuration());
            String root = cluster.getURI() + "/translate";
            hdfs.fs(new org.apache.hadoop.fs.Path(root)).copyFromLocalFile(new org.apache.hadoop.fs.Path(in.toUri()),
                    new org.apache.hadoop.fs.Path(root + "/in"));
            Translation.write(TestSpark.context(), hdfs, checkpoint, new org.apache.hadoop.fs.Path(root + "/in"),
                    new org.apache.hadoop.fs.Path(root + "/out"), settings(false));
            assertArrayEquals(Files.readAllBytes(tmp.resolve("out1/sub/b.png")),
                    hdfs.readBytes(new org.apache.hadoop.fs.Path(root + "/out/sub/b.png")), "the same bits from HDFS");
        } finally {
            cluster.shutdown(true);
        }

        EvaluationException sample = assertThrows(EvaluationException.class, () -> Sampling.write(TestSpark.context(),
                Storage.local(), checkpoint, Storage.qualify(tmp.resolve("samples").toString()),
                new Sampling.Settings(4, 1, 4, "better", 1, 2, 0, 1, null)));
        assertTrue(sample.getMessage().contains("sparkgan translate --checkpoint"), sample.getMessage());
    }

    private static int[] pixels(Path png) throws IOException {
        BufferedImage image = ImageIO.read(png.toFile());
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }
}

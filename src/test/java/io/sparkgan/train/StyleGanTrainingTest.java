package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.eval.EvaluationException;
import io.sparkgan.eval.SampleStyle;
import io.sparkgan.eval.Sampling;
import io.sparkgan.io.Json;
import io.sparkgan.io.Png;
import io.sparkgan.model.GanLoss;
import io.sparkgan.model.GanReplica;
import io.sparkgan.model.NoiseMode;
import java.awt.image.BufferedImage;
import java.io.InputStream;
import java.util.Map;
import javax.imageio.ImageIO;
import io.sparkgan.io.Storage;
import io.sparkgan.model.Noise;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.networks.GanNetwork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * model.architecture = stylegan2 on real Fashion-MNIST resized to 16×16, conditional, with its own
 * defaults (style mixing, per-pixel noise, lazy R1, Adam β = (0, 0.99)) and R1 every other D step so that
 * it runs on both sides of the resume: driver and collective modes bit for bit, a resume from the middle
 * bit-identical (w̄, the mixing and noise draws included), w̄ tracked and the constant noise left as drawn.
 */
class StyleGanTrainingTest {
    @TempDir
    Path tmp;

    private SparkganConfig config(String runId, String... sets) {
        List<String> all = new ArrayList<>(List.of("model.architecture=stylegan2", "model.conditional=true",
                "data.source=data-manifests/fashion-mnist.conf", "data.shards=" + tmp.resolve("shards"),
                "data.limit=400", "data.image-size=16", "model.g-features=2", "model.d-features=2",
                "model.latent-dim=8", "train.workers=2", "train.batch-per-worker=4", "train.steps=4",
                "train.r1-every=2", "train.checkpoint-every=2", "train.sample-every=1000", "train.sample-count=16"));
        all.addAll(Arrays.asList(sets));
        return TrainingFixtures.config(tmp, runId, all.toArray(String[]::new));
    }

    private TrainingJob.Result train(String runId, String... sets) throws IOException {
        return TrainingJob.run(config(runId, sets), TestSpark.context(), Storage.local());
    }

    @Test
    void styleGanTrainsTheSameBitsInBothModesAndOnResume() throws IOException {
        TrainingJob.Result driver = train("driver", "train.sync=driver");
        TrainingJob.Result collective = train("collective", "train.sync=collective");
        assertEquals(driver.generatorSha256(), collective.generatorSha256());
        assertEquals(driver.discriminatorSha256(), collective.discriminatorSha256());

        train("resumed", "train.sync=collective", "train.steps=2");
        Files.delete(tmp.resolve("resumed/_SUCCESS"));
        TrainingJob.Result resumed = train("resumed", "train.sync=driver");
        assertEquals(driver.generatorSha256(), resumed.generatorSha256());
        assertEquals(driver.discriminatorSha256(), resumed.discriminatorSha256());

        SparkganConfig c = config("driver");
        ParamLayout layout = GanNetwork.of(c.model().architecture(c.data(), 10)).generatorLayout();
        float[] initial = layout.initialise(Noise.seed(c.train().seed(), 'G'));
        for (ParamLayout.Param p : layout.buffers()) {
            float[] now = Arrays.copyOfRange(driver.generator(), (int) p.offset(), (int) (p.offset() + p.length()));
            float[] then = Arrays.copyOfRange(initial, (int) p.offset(), (int) (p.offset() + p.length()));
            if (p.init() == ParamLayout.Init.NOISE) {
                assertArrayEquals(then, now, p.name() + ": constant noise is not trained");
            } else {
                double size = 0;
                for (float v : now) {
                    size += Math.abs(v);
                }
                assertTrue(size > 0, p.name() + " tracks the mapping network's outputs: " + Arrays.toString(now));
            }
        }
        assertTrue(Files.readString(tmp.resolve("driver/run.conf")).matches("(?s).*adam-beta1\\s*=\\s*0.*"));

        // sample on the executors with the training pass: ψ = 0 makes every image the mean one
        org.apache.hadoop.fs.Path checkpoint = new org.apache.hadoop.fs.Path(
                tmp.resolve("driver/checkpoints/step-00000004").toUri());
        Path out = tmp.resolve("truncated");
        Sampling.write(TestSpark.context(), Storage.local(), checkpoint, new org.apache.hadoop.fs.Path(out.toUri()),
                new Sampling.Settings(3, 1, 3, "raw", 1, 2, 2, 1, new int[] {4}, new SampleStyle(0, 5L, 2,
                        NoiseMode.CONST)));
        BufferedImage first = ImageIO.read(out.resolve("sample-00000000.png").toFile());
        for (int i = 1; i < 3; i++) {
            BufferedImage other = ImageIO.read(out.resolve(String.format("sample-%08d.png", i)).toFile());
            assertArrayEquals(pixels(first), pixels(other), "image " + i);
        }
        try (InputStream in = Files.newInputStream(out.resolve("sample-00000001.png"))) {
            Map<String, String> text = Png.readText(in);
            assertEquals("0.0", text.get("sparkgan:truncation"));
            assertEquals("5", text.get("sparkgan:mix_seed"));
            assertEquals("2", text.get("sparkgan:crossover"));
            assertEquals("const", text.get("sparkgan:noise_mode"));
        }
        assertEquals("const", Json.parse(Files.readString(out.resolve("samples.json"))).path("style")
                .path("noise_mode").asText());
        EvaluationException k = assertThrows(EvaluationException.class, () -> Sampling.write(TestSpark.context(),
                Storage.local(), checkpoint, new org.apache.hadoop.fs.Path(tmp.resolve("k").toUri()),
                new Sampling.Settings(1, 1, 1, "raw", 1, 2, 0, 1, null, new SampleStyle(1, 5L, 7, NoiseMode.CONST))));
        assertTrue(k.getMessage().contains("6 style inputs"), k.getMessage());

        // the FID report's style-mixing grid: 4 sources a side plus the corner, 16-pixel images, 2-pixel borders
        GanReplica replica = new GanReplica(c.model().architecture(c.data(), 10), GanLoss.NON_SATURATING, 1.0,
                org.nd4j.linalg.api.buffer.DataType.FLOAT);
        byte[] mixing = SampleGrid.styleMixing(replica, driver.generator(), 1, "driver", 4);
        BufferedImage grid = ImageIO.read(new java.io.ByteArrayInputStream(mixing));
        assertEquals(5 * 18 + 2, grid.getWidth());
        assertEquals(5 * 18 + 2, grid.getHeight());
        assertEquals("const", Png.readText(new java.io.ByteArrayInputStream(mixing)).get("sparkgan:noise_mode"));
        assertTrue(Png.readText(new java.io.ByteArrayInputStream(SampleGrid.png(replica, driver.generator(), 1, 16,
                "driver", 4))).containsKey("sparkgan:noise_mode"), "training's grids say which noise they use");
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRaster().getPixels(0, 0, image.getWidth(), image.getHeight(), (int[]) null);
    }
}

package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.config.SparkganConfig;
import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.data.PreparedDataset;
import io.sparkgan.data.Preparer;
import io.sparkgan.eval.FidStage;
import io.sparkgan.io.Json;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * pix2pix on edge → Fashion-MNIST pairs: driver and collective modes bit for bit, a resume from the
 * middle bit-identical, the other direction another run, and grids of input | output | target rows.
 */
class Pix2pixTrainingTest {
    @TempDir
    Path tmp;

    private SparkganConfig config(String runId, String... sets) {
        List<String> all = new ArrayList<>(List.of("model.architecture=pix2pix", "data.layout=aligned",
                "data.source=data-manifests/fashion-mnist-edges.conf", "data.shards=" + tmp.resolve("shards"),
                "data.image-size=16", "data.limit=64", "model.g-features=4", "model.d-features=4",
                "train.workers=2", "train.batch-per-worker=4", "train.steps=4", "train.checkpoint-every=2",
                "train.sample-every=1000", "train.sample-count=9"));
        all.addAll(Arrays.asList(sets));
        return TrainingFixtures.config(tmp, runId, all.toArray(String[]::new));
    }

    private TrainingJob.Result train(String runId, String... sets) throws IOException {
        return TrainingJob.run(config(runId, sets), TestSpark.context(), Storage.local());
    }

    @Test
    void trainsTheSameBitsInBothModesAndOnResume() throws IOException {
        TrainingJob.Result driver = train("driver", "train.sync=driver");
        TrainingJob.Result collective = train("collective", "train.sync=collective");
        assertEquals(driver.generatorSha256(), collective.generatorSha256());
        assertEquals(driver.discriminatorSha256(), collective.discriminatorSha256());

        train("resumed", "train.sync=collective", "train.steps=2");
        Files.delete(tmp.resolve("resumed/_SUCCESS"));
        TrainingJob.Result resumed = train("resumed", "train.sync=driver");
        assertEquals(driver.generatorSha256(), resumed.generatorSha256());
        assertEquals(driver.discriminatorSha256(), resumed.discriminatorSha256());

        TrainingJob.Result reversed = train("reversed", "data.direction=BtoA");
        assertNotEquals(driver.generatorSha256(), reversed.generatorSha256(), "BtoA maps images to sketches");

        List<String> lines = Files.readAllLines(tmp.resolve("driver/metrics.jsonl"));
        double gLoss = Json.parse(lines.get(lines.size() - 1)).path("g_loss").asDouble();
        assertTrue(gLoss > 1, "G's loss holds λ·L1 (λ = 100): " + gLoss);

        SparkganConfig config = config("driver", "train.sync=driver");
        PreparedDataset dataset = Preparer.prepare(TestSpark.context(), config.data(), Storage.local());
        FidStage.run(TestSpark.context(), Storage.local(), config, dataset,
                RunDirectory.of(config.outputDir(), config.runId()), List.of(2L, 4L));
        JsonNode report = Json.parse(Files.readString(tmp.resolve("driver/fid/report.json")));
        assertEquals("translation", report.path("kind").asText());
        assertEquals("test", report.path("held_out").path("split").asText());
        assertEquals(64, report.path("held_out").path("pairs").asLong(), "the test split, limited as the training one");
        JsonNode last = report.path("checkpoints").get(1);
        assertEquals(4, last.path("step").asLong());
        assertEquals(64, last.path("pairs").asLong());
        assertTrue(last.path("l1").asDouble() > 0 && last.path("l1").asDouble() < 1, last.toString());
        assertTrue(last.path("ssim").asDouble() > -1 && last.path("ssim").asDouble() < 1, last.toString());
        assertTrue(last.path("psnr").asDouble() > 0 && last.path("psnr").asDouble() < 60, last.toString());
        assertTrue(Files.readString(tmp.resolve("driver/fid/report.html"))
                .contains("input | output | target for the first held-out pairs"));

        // 4 pairs (sample-count / 2) of input | output | target, 2 a row; 16-pixel images, 2-pixel borders
        BufferedImage grid = ImageIO.read(tmp.resolve("driver/samples/step-00000000.png").toFile());
        assertEquals(6 * 18 + 2, grid.getWidth());
        assertEquals(2 * 18 + 2, grid.getHeight());
    }
}

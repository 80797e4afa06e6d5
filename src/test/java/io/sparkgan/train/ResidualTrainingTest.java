package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.eval.EvaluationException;
import io.sparkgan.eval.SampleStyle;
import io.sparkgan.eval.Sampling;
import io.sparkgan.model.NoiseMode;
import io.sparkgan.io.Json;
import io.sparkgan.io.Png;
import io.sparkgan.io.Storage;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * model.architecture = resnet (SNGAN's residual networks, with their own defaults: hinge loss, spectral
 * norm) on real Fashion-MNIST, conditional and not: driver and collective modes bit for bit, a resume
 * from the middle bit-identical (started in one mode, finished in the other), grids with a row per class, and sample --class through the exported
 * generator's label input.
 */
class ResidualTrainingTest {
    @TempDir
    Path tmp;

    private SparkganConfig config(String runId, String... sets) {
        List<String> all = new ArrayList<>(List.of("model.architecture=resnet",
                "data.source=data-manifests/fashion-mnist.conf", "data.shards=" + tmp.resolve("shards"),
                "data.limit=400", "model.g-features=4", "model.d-features=4", "train.workers=2",
                "train.batch-per-worker=8", "train.steps=4", "train.checkpoint-every=2", "train.sample-every=1000",
                "train.sample-count=16"));
        all.addAll(Arrays.asList(sets));
        return TrainingFixtures.config(tmp, runId, all.toArray(String[]::new));
    }

    private TrainingJob.Result train(String runId, String... sets) throws IOException {
        return TrainingJob.run(config(runId, sets), TestSpark.context(), Storage.local());
    }

    @Test
    void conditionalResnetTrainsTheSameBitsInBothModesAndOnResumeAndSamplesTheClassesAskedFor() throws Exception {
        TrainingJob.Result driver = train("driver", "model.conditional=true", "train.sync=driver");
        TrainingJob.Result collective = train("collective", "model.conditional=true", "train.sync=collective");
        assertEquals(driver.generatorSha256(), collective.generatorSha256());
        assertEquals(driver.discriminatorSha256(), collective.discriminatorSha256());

        train("resumed", "model.conditional=true", "train.sync=collective", "train.steps=2");
        Files.delete(tmp.resolve("resumed/_SUCCESS"));
        TrainingJob.Result resumed = train("resumed", "model.conditional=true", "train.sync=driver");
        assertEquals(driver.generatorSha256(), resumed.generatorSha256());
        assertEquals(driver.discriminatorSha256(), resumed.discriminatorSha256());

        // ten classes × √16 columns of 28-pixel images with 2-pixel borders
        BufferedImage grid = ImageIO.read(tmp.resolve("driver/samples/step-00000004.png").toFile());
        assertEquals(10 * 30 + 2, grid.getHeight());

        Path out = tmp.resolve("samples");
        Sampling.write(TestSpark.context(), Storage.local(), new org.apache.hadoop.fs.Path(tmp.resolve("driver/checkpoints/step-00000004")
                .toUri()), new org.apache.hadoop.fs.Path(out.toUri()), new Sampling.Settings(4, 1, 4, "raw", 0, 0, 0, 1, new int[] {3, 7}));
        for (int i = 0; i < 4; i++) {
            try (InputStream in = Files.newInputStream(out.resolve(String.format("sample-%08d.png", i)))) {
                assertEquals(i % 2 == 0 ? "3" : "7", Png.readText(in).get("sparkgan:class"));
            }
        }
        assertEquals("[3,7]", Json.parse(Files.readString(out.resolve("samples.json"))).path("classes").toString());

        EvaluationException styled = assertThrows(EvaluationException.class, () -> Sampling.write(TestSpark.context(),
                Storage.local(), new org.apache.hadoop.fs.Path(tmp.resolve("driver/checkpoints/step-00000004").toUri()),
                new org.apache.hadoop.fs.Path(tmp.resolve("mixed").toUri()), new Sampling.Settings(4, 1, 4, "raw", 0, 0,
                        0, 1, null, new SampleStyle(1, 3L, 2, NoiseMode.CONST))));
        assertTrue(styled.getMessage().contains("no mapping network"), styled.getMessage());
    }

    @Test
    void unconditionalResnetTrainsTheSameBitsInBothModesAndOnResume() throws IOException {
        TrainingJob.Result driver = train("driver", "train.sync=driver");
        TrainingJob.Result collective = train("collective", "train.sync=collective");
        assertEquals(driver.generatorSha256(), collective.generatorSha256());
        assertEquals(driver.discriminatorSha256(), collective.discriminatorSha256());
        train("resumed", "train.sync=driver", "train.steps=2");
        Files.delete(tmp.resolve("resumed/_SUCCESS"));
        TrainingJob.Result resumed = train("resumed", "train.sync=collective");
        assertEquals(driver.generatorSha256(), resumed.generatorSha256());
        assertEquals(driver.discriminatorSha256(), resumed.discriminatorSha256());
        TrainingJob.Result dcgan = train("dcgan", "train.sync=collective", "model.architecture=dcgan",
                "model.d-norm=none", "train.loss=hinge", "model.spectral-norm=true");
        assertNotEquals(driver.generatorSha256(), dcgan.generatorSha256(), "the architecture changes the run");
        assertTrue(Files.readString(tmp.resolve("driver/run.conf")).matches("(?s).*architecture\\s*=\\s*\"?resnet.*"));
    }
}

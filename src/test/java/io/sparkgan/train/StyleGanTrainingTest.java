package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.config.SparkganConfig;
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
    }
}

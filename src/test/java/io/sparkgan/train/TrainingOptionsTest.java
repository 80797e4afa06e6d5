package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.TestSpark;
import io.sparkgan.io.Json;
import io.sparkgan.io.Npy;
import io.sparkgan.io.NpyArray;
import io.sparkgan.io.Storage;
import io.sparkgan.model.networks.GanNetwork;
import io.sparkgan.model.Noise;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The training options do what their reference.conf comments say. */
class TrainingOptionsTest {
    @TempDir
    Path tmp;

    private TrainingJob.Result train(String runId, String... sets) throws IOException {
        var sc = TestSpark.context();
        byte[] images = TrainingFixtures.images(256, 3);
        return TrainingJob.train(TrainingFixtures.config(tmp, runId, sets), sc, Storage.local(),
                TrainingFixtures.shards(images), null);
    }

    private List<JsonNode> metrics(String runId) throws IOException {
        return Files.readAllLines(tmp.resolve(runId).resolve("metrics.jsonl")).stream().map(Json::parse).toList();
    }

    @Test
    void wganClipsEveryCriticWeightAndLogsRawCriticScores() throws IOException {
        TrainingJob.Result r = train("wgan", "train.loss=wgan", "train.wgan-clip=0.01", "train.d-steps-per-g-step=2");
        for (float w : r.discriminator()) {
            assertTrue(Math.abs(w) <= 0.01f, "critic weight " + w + " outside [-0.01, 0.01]");
        }
        for (JsonNode m : metrics("wgan")) {
            assertTrue(Double.isFinite(m.path("d_loss").asDouble()), m.toString());
        }
    }

    /**
     * train.d-skip-below = 0 (the default) never skips, whatever the loss: a Wasserstein critic's loss
     * is negative as soon as it separates real from fake, and was taken for "below 0" (issue: a critic
     * with 5 updates a step skipped 4 or 5 of them).
     */
    @ParameterizedTest(name = "train.loss = {0}")
    @ValueSource(strings = {"non-saturating", "wgan", "hinge", "least-squares"})
    void theDefaultNeverSkipsADiscriminatorUpdate(String loss) throws IOException {
        train("never-skip-" + loss, "train.loss=" + loss, "train.d-steps-per-g-step=3");
        boolean negative = false;
        for (JsonNode m : metrics("never-skip-" + loss)) {
            assertEquals(0, m.path("d_updates_skipped").asInt(), m.toString());
            negative |= m.path("d_loss").asDouble() < 0;
        }
        assertEquals(loss.equals("wgan"), negative, "the critic's loss went below 0 (WGAN) or could not (the others)");
    }

    @Test
    void discriminatorIsNotUpdatedWhileItsLossIsBelowTheThreshold() throws IOException {
        TrainingJob.Result r = train("skip", "train.d-skip-below=1000");
        float[] initial = GanNetwork.of(TrainingFixtures.config(tmp, "x").architecture()).discriminatorLayout()
                .initialise(Noise.seed(42, 'D'));
        assertArrayEquals(initial, r.discriminator(), "every D update was skipped");
        for (JsonNode m : metrics("skip")) {
            assertEquals(1, m.path("d_updates_skipped").asInt(), m.toString());
        }
        TrainingJob.Result normal = train("no-skip");
        assertFalse(Arrays.equals(initial, normal.discriminator()), "without the threshold D trains");
    }

    @Test
    void emaGeneratorIsSavedBesideTheRawOneOnlyWhenEnabled() throws IOException {
        train("ema", "train.ema-half-life=100");
        train("no-ema", "train.ema-half-life=0");
        Path ema = tmp.resolve("ema/checkpoints/step-00000003");
        Map<String, NpyArray> params = Npy.readNpz(new ByteArrayInputStream(Files.readAllBytes(ema.resolve("params.npz"))));
        assertFalse(Arrays.equals(params.get("generator").asFloats(), params.get("generator_ema").asFloats()));
        assertTrue(Files.exists(ema.resolve("generator-ema.sdz")));
        Path plain = tmp.resolve("no-ema/checkpoints/step-00000003");
        assertFalse(Files.exists(plain.resolve("generator-ema.sdz")));
        assertFalse(Npy.readNpz(new ByteArrayInputStream(Files.readAllBytes(plain.resolve("params.npz"))))
                .containsKey("generator_ema"));
    }

    @Test
    void labelSmoothingLowersTheRealTarget() throws IOException {
        train("smooth", "train.label-smoothing=0.2", "train.ema-half-life=0");
        train("sharp", "train.ema-half-life=0");
        // Same data, noise and weights at step 1: only D's target for real images differs, so D's first
        // loss differs by exactly 0.2 × the mean real logit (BCE(l, y) = max(l, 0) − l·y + log(1 + e^−|l|)).
        double smooth = metrics("smooth").get(0).path("d_loss").asDouble();
        double sharp = metrics("sharp").get(0).path("d_loss").asDouble();
        assertTrue(Math.abs(smooth - sharp) > 1e-4, smooth + " vs " + sharp);
    }
}

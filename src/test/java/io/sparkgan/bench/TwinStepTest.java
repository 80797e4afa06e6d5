package io.sparkgan.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.TestSpark;
import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.io.Json;
import io.sparkgan.io.Npy;
import io.sparkgan.io.NpyArray;
import io.sparkgan.io.Storage;
import io.sparkgan.train.TrainingJob;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The differential twin's first step on a tiny instance: PyTorch (Debian's python3-torch), started
 * from sparkgan's step-0 parameters and fed its real batch and noise, ends step 1 with the parameters
 * sparkgan ends it with, to float32 rounding, and with the same losses. One worker, so that batch norm
 * sees the global batch on both sides.
 */
class TwinStepTest {
    @TempDir
    Path tmp;

    @Test
    void pytorchsFirstStepFromSparkgansInputsEndsWhereSparkgansDoes() throws Exception {
        SparkganConfig config = ConfigLoader.load((Path) null, List.of("data.shards=" + tmp.resolve("shards"),
                "data.limit=64", "output.dir=" + tmp.resolve("runs"), "run.id=twin", "model.g-features=8",
                "model.d-features=8", "model.latent-dim=16", "train.workers=1", "train.batch-per-worker=16",
                "train.steps=1", "train.log-every=1", "train.checkpoint-every=1", "train.sample-every=1000",
                "train.sample-count=16", "data.cache=memory"));
        TwinInputs.write(config, TestSpark.context(), Storage.local(), 1, tmp.resolve("inputs"));
        TrainingJob.Result sparkgan = TrainingJob.run(config, TestSpark.context(), Storage.local());

        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Process twin = new ProcessBuilder(python, "src/bench/torch_dcgan_twin.py", "--inputs",
                tmp.resolve("inputs").toString(), "--steps", "1", "--save", "1", "--out", tmp.resolve("twin").toString())
                .redirectErrorStream(true).start();
        String output = new String(twin.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(twin.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, twin.exitValue(), output);
        Map<String, NpyArray> after = Npy.readNpz(new ByteArrayInputStream(
                Files.readAllBytes(tmp.resolve("twin/twin-step-00000001.npz"))));

        float lr = (float) config.train().gLearningRate();
        compare("G", sparkgan.generator(), after.get("generator").asFloats(), lr);
        compare("D", sparkgan.discriminator(), after.get("discriminator").asFloats(), lr);
        JsonNode losses = Json.parse(Files.readString(tmp.resolve("twin/twin-losses.jsonl")).strip());
        JsonNode metrics = Json.parse(Files.readAllLines(tmp.resolve("runs/twin/metrics.jsonl")).get(0));
        assertEquals(metrics.path("d_loss").asDouble(), losses.path("d_loss").asDouble(), 1e-5, metrics + " vs " + losses);
        assertEquals(metrics.path("g_loss").asDouble(), losses.path("g_loss").asDouble(), 1e-5, metrics + " vs " + losses);
    }

    /**
     * Adam's first step moves each parameter by lr·g/(|g| + ε): ±lr wherever the gradient is not tiny,
     * so rounding that differs shows as a difference far below lr; a different gradient, as one near it.
     */
    private static void compare(String network, float[] sparkgan, float[] twin, float lr) {
        assertEquals(sparkgan.length, twin.length, network + " parameter count");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < sparkgan.length; i++) {
            double d = Math.abs(sparkgan[i] - twin[i]);
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        assertTrue(worst <= 1e-3 * lr, network + ": parameter " + at + " is " + (at < 0 ? 0 : sparkgan[at])
                + " after sparkgan's step 1 and " + (at < 0 ? 0 : twin[at]) + " after PyTorch's (lr " + lr + ")");
    }
}

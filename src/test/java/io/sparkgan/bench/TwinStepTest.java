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
import io.sparkgan.model.networks.GanNetwork;
import io.sparkgan.model.ParamLayout;
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
                tmp.resolve("inputs").toString(), "--steps", "1", "--save", "1", "--out", tmp.resolve("twin").toString(),
                "--bias-bounds", tmp.resolve("bias-bounds.json").toString())
                .redirectErrorStream(true).start();
        String output = new String(twin.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(twin.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, twin.exitValue(), output);
        Map<String, NpyArray> after = Npy.readNpz(new ByteArrayInputStream(
                Files.readAllBytes(tmp.resolve("twin/twin-step-00000001.npz"))));

        JsonNode bounds = Json.parse(Files.readString(tmp.resolve("bias-bounds.json")));
        int biases = startsBiasesWherePytorchDoes(GanNetwork.of(config.architecture()).generatorLayout(),
                tmp.resolve("inputs/g0.npy"), bounds)
                + startsBiasesWherePytorchDoes(GanNetwork.of(config.architecture()).discriminatorLayout(),
                tmp.resolve("inputs/d0.npy"), bounds);
        assertEquals(bounds.size(), biases, "biases in PyTorch's network and in sparkgan's: " + bounds);

        double epsilon = config.train().adamEpsilon();
        compare("G", initial(tmp.resolve("inputs/g0.npy")), sparkgan.generator(), after.get("generator").asFloats(),
                (float) config.train().gLearningRate(), epsilon);
        compare("D", initial(tmp.resolve("inputs/d0.npy")), sparkgan.discriminator(),
                after.get("discriminator").asFloats(), (float) config.train().dLearningRate(), epsilon);
        JsonNode losses = Json.parse(Files.readString(tmp.resolve("twin/twin-losses.jsonl")).strip());
        JsonNode metrics = Json.parse(Files.readAllLines(tmp.resolve("runs/twin/metrics.jsonl")).get(0));
        assertEquals(metrics.path("d_loss").asDouble(), losses.path("d_loss").asDouble(), 1e-5, metrics + " vs " + losses);
        assertEquals(metrics.path("g_loss").asDouble(), losses.path("g_loss").asDouble(), 1e-5, metrics + " vs " + losses);
    }

    private static float[] initial(Path npy) throws IOException {
        return Npy.read(new ByteArrayInputStream(Files.readAllBytes(npy))).asFloats();
    }

    /**
     * Each bias starts uniform in PyTorch's range for that layer, ±1/√fan-in with fan-in as torch counts
     * it (for a transposed convolution, its output channels times the kernel area), and spread over it.
     */
    private static int startsBiasesWherePytorchDoes(ParamLayout layout, Path initial, JsonNode bounds)
            throws IOException {
        float[] values = initial(initial);
        int biases = 0;
        for (ParamLayout.Param p : layout.params()) {
            if (p.init() != ParamLayout.Init.BIAS) {
                continue;
            }
            double bound = bounds.path(p.name()).asDouble(Double.NaN);
            assertEquals(bound, 1 / Math.sqrt(p.fanIn()), 1e-12 * bound, p.name() + ": torch's range against ours");
            double widest = 0;
            for (long i = p.offset(); i < p.offset() + p.length(); i++) {
                assertTrue(Math.abs(values[(int) i]) <= bound, p.name() + " starts outside ±" + bound);
                widest = Math.max(widest, Math.abs(values[(int) i]));
            }
            assertTrue(p.length() < 8 || widest > bound / 2, p.name() + " spans only ±" + widest + " of ±" + bound);
            biases++;
        }
        return biases;
    }

    /**
     * Adam's first step moves each parameter by lr·r with r = g/(|g| + ε): ±lr wherever the gradient is
     * not tiny, so rounding that differs shows as a difference in r far below 1, and a different
     * gradient as one near 1. Near g = 0 the step magnifies a gradient's rounding δ to lr·δ/ε, so there
     * (|r| < 0.99 on both sides) the gradients the two steps imply, g = ε·r/(1 − |r|), are compared
     * instead, to 10⁻⁸: the rounding of a sum that cancels to about ε, far below any real gradient.
     */
    private static void compare(String network, float[] initial, float[] sparkgan, float[] twin, float lr,
                                double epsilon) {
        assertEquals(sparkgan.length, twin.length, network + " parameter count");
        for (int i = 0; i < sparkgan.length; i++) {
            double rSparkgan = ((double) sparkgan[i] - initial[i]) / lr;
            double rTwin = ((double) twin[i] - initial[i]) / lr;
            String where = network + ": parameter " + i + " moves from " + initial[i] + " to " + sparkgan[i]
                    + " in sparkgan's step 1 and to " + twin[i] + " in PyTorch's (lr " + lr + ")";
            if (Math.abs(rSparkgan - rTwin) <= 1e-3) {
                continue;
            }
            assertTrue(Math.abs(rSparkgan) < 0.99 && Math.abs(rTwin) < 0.99, where);
            double gSparkgan = epsilon * rSparkgan / (1 - Math.abs(rSparkgan));
            double gTwin = epsilon * rTwin / (1 - Math.abs(rTwin));
            assertEquals(gSparkgan, gTwin, 1e-8, where + ": the gradients they imply");
        }
    }
}

package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.TestSpark;
import io.sparkgan.data.Hashes;
import io.sparkgan.io.Json;
import io.sparkgan.io.Npy;
import io.sparkgan.io.NpyArray;
import io.sparkgan.io.Png;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** `sparkgan train` end to end in local[4] on a Fashion-MNIST subset, through the CLI. */
class TrainingIntegrationTest {
    @TempDir
    static Path tmp;
    static Path run;
    static int exitCode;
    static String stderr;

    @BeforeAll
    static void train() {
        TestSpark.stop(); // the CLI starts (and stops) its own Spark context
        StringWriter err = new StringWriter();
        exitCode = Main.execute(new PrintWriter(System.out, true), new PrintWriter(err, true), "train",
                "--config", "conf/local.conf",
                "--set", "data.limit=1600", "--set", "data.shards=" + tmp.resolve("shards"),
                "--set", "output.dir=" + tmp.resolve("runs"), "--set", "run.id=it",
                "--set", "model.g-features=16", "--set", "model.d-features=16",
                "--set", "train.steps=30", "--set", "train.batch-per-worker=16", "--set", "train.log-every=5",
                "--set", "train.sample-every=15", "--set", "train.checkpoint-every=15",
                "--set", "spark.conf.\"spark.ui.enabled\"=false");
        stderr = err.toString();
        run = tmp.resolve("runs/it");
    }

    @Test
    void runDirectoryHoldsEverything() {
        assertEquals(0, exitCode, stderr);
        for (String file : List.of("run.conf", "provenance.json", "metrics.jsonl", "_SUCCESS",
                "samples/step-00000000.png", "samples/step-00000015.png", "samples/step-00000030.png")) {
            assertTrue(Files.isRegularFile(run.resolve(file)), file);
        }
        for (String step : List.of("step-00000015", "step-00000030")) {
            for (String file : List.of("generator.sdz", "generator-ema.sdz", "discriminator.sdz", "params.npz",
                    "optimiser.npz", "state.json", "_COMMITTED")) {
                assertTrue(Files.isRegularFile(run.resolve("checkpoints").resolve(step).resolve(file)), step + "/" + file);
            }
        }
    }

    @Test
    void provenanceNamesVersionsDatasetAndSeed() throws Exception {
        JsonNode p = Json.parse(Files.readString(run.resolve("provenance.json")));
        assertEquals("3.5.9", p.path("spark_version").asText());
        assertEquals("1.0.0-M2.1", p.path("dl4j_version").asText());
        assertEquals(42, p.path("seed").asInt());
        assertEquals("fashion-mnist", p.path("dataset").path("name").asText());
        assertEquals(1600, p.path("dataset").path("count").asInt());
        assertEquals(64, p.path("dataset").path("content_sha256").asText().length());
        assertTrue(Files.readString(run.resolve("run.conf")).contains("steps=30"));
    }

    @Test
    void everyMetricIsFinite() throws Exception {
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(7, lines.size(), "steps 1, 5, 10, ..., 30");
        for (String line : lines) {
            JsonNode m = Json.parse(line);
            for (String key : List.of("step", "d_loss", "g_loss", "d_real", "d_fake", "d_grad_norm", "g_grad_norm",
                    "images_per_s", "compute_s", "sync_s", "update_s")) {
                assertTrue(m.path(key).isNumber() && Double.isFinite(m.path(key).asDouble()), key + " in " + line);
            }
            assertTrue(m.path("d_real").asDouble() >= 0 && m.path("d_real").asDouble() <= 1);
        }
        assertEquals(30, Json.parse(lines.get(lines.size() - 1)).path("step").asInt());
    }

    @Test
    void sampleGridsAreMarkedSynthetic() throws Exception {
        try (InputStream in = Files.newInputStream(run.resolve("samples/step-00000030.png"))) {
            Map<String, String> text = Png.readText(in);
            assertEquals("true", text.get("Synthetic"));
            assertEquals("it", text.get("sparkgan:run-id"));
            assertEquals("30", text.get("sparkgan:step"));
        }
    }

    @Test
    void checkpointHashesMatchItsParameters() throws Exception {
        Path checkpoint = run.resolve("checkpoints/step-00000030");
        JsonNode state = Json.parse(Files.readString(checkpoint.resolve("state.json")));
        assertEquals(30, state.path("step").asInt());
        Map<String, NpyArray> params = Npy.readNpz(new ByteArrayInputStream(Files.readAllBytes(checkpoint.resolve("params.npz"))));
        for (String network : List.of("generator", "discriminator", "generator_ema")) {
            float[] values = params.get(network).asFloats();
            ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            assertEquals(Hashes.sha256Hex(bytes.array()), state.path("params_sha256").path(network).asText(), network);
        }
        JsonNode success = Json.parse(Files.readString(run.resolve("_SUCCESS")));
        assertEquals(state.path("params_sha256").path("generator"), success.path("params_sha256").path("generator"));
    }

    @Test
    void generatedSamplesAreNotAllAlike() throws Exception {
        SameDiff generator;
        try (InputStream in = Files.newInputStream(run.resolve("checkpoints/step-00000030/generator.sdz"))) {
            generator = SameDiff.load(in, false);
        }
        Nd4j.getRandom().setSeed(3);
        INDArray images = generator.output(Map.of("z", Nd4j.randn(DataType.FLOAT, 64, 100)), "images").get("images");
        double meanStd = images.reshape(64, 784).std(0).meanNumber().doubleValue();
        assertTrue(meanStd > 0.05, "per-pixel std across 64 samples is " + meanStd + ": the generator has collapsed");
        assertTrue(images.maxNumber().doubleValue() <= 1.0 && images.minNumber().doubleValue() >= -1.0);
    }
}

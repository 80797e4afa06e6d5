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
import io.sparkgan.runtime.NativePlatform;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
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
    /** fid/report.json as the train command's FID stage left it (later tests rewrite the report). */
    static String trainReport;

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
                "--set", "fid.samples=600", "--set", "fid.evaluator-epochs=1", "--set", "fid.kid-subsets=10",
                "--set", "fid.kid-subset-size=100",
                "--set", "spark.conf.\"spark.ui.enabled\"=false");
        stderr = err.toString();
        run = tmp.resolve("runs/it");
        try {
            trainReport = Files.readString(run.resolve("fid/report.json"));
        } catch (IOException e) {
            trainReport = null;
        }
    }

    @Test
    void trainEndsWithAnFidStageOnTheLastCheckpoint() {
        assertEquals(0, exitCode, stderr);
        JsonNode report = Json.parse(trainReport);
        assertEquals(2, report.path("checkpoints").size(), "the last checkpoint's EMA and raw generators");
        JsonNode last = report.path("checkpoints").get(0);
        assertEquals(30, last.path("step").asInt());
        assertEquals("ema", last.path("generator").asText());
        JsonNode raw = report.path("checkpoints").get(1);
        assertEquals(30, raw.path("step").asInt());
        assertEquals("raw", raw.path("generator").asText());
        assertTrue(raw.path("fid").asDouble() > 0 && raw.path("fid").asDouble() != last.path("fid").asDouble(),
                "another network, another score");
        assertEquals(600, last.path("samples").asInt());
        assertTrue(last.path("fid").asDouble() > 0 && Double.isFinite(last.path("fid").asDouble()));
        assertTrue(last.path("mode_coverage").asDouble() > 0 && last.path("mode_coverage").asDouble() <= 1);
        // IS on the evaluator's 10 classes lies in [1, 10]; precision and recall are shares
        assertTrue(last.path("is_mean").asDouble() >= 1 && last.path("is_mean").asDouble() <= 10, last.toString());
        assertTrue(last.path("is_std").asDouble() >= 0, last.toString());
        for (String share : List.of("precision", "recall")) {
            assertTrue(last.path(share).isNumber() && last.path(share).asDouble() >= 0
                    && last.path(share).asDouble() <= 1, last.toString());
        }
        assertEquals("evaluator", report.path("extractor").path("name").asText());
        assertEquals(64, report.path("extractor").path("sha256").asText().length());
        assertTrue(report.path("extractor").path("test_accuracy").asDouble() > 0.3);
        assertEquals("fashion-mnist", report.path("dataset").path("name").asText());
    }

    @Test
    void fidReportsEveryCheckpointAndComparesStatisticsFiles() throws Exception {
        // a --config written for another model (the run used width 16): the run's own model is kept
        Path otherModel = tmp.resolve("other-model.conf");
        Files.writeString(otherModel, "model { g-features = 32, d-features = 32 }\ntrain.seed = 7\n");
        CliRun r = CliRun.of("fid", "--run", run.toString(), "--checkpoints", "all", "--config", otherModel.toString(),
                "--set", "fid.samples=600",
                "--set", "fid.kid-subsets=10", "--set", "fid.kid-subset-size=100");
        assertEquals(0, r.code(), r.err());
        JsonNode report = Json.parse(Files.readString(run.resolve("fid/report.json")));
        List<String> rows = new java.util.ArrayList<>();
        report.path("checkpoints").forEach(c -> rows.add(c.path("step").asInt() + " " + c.path("generator").asText()));
        assertEquals(List.of("15 ema", "15 raw", "30 ema", "30 raw"), rows);
        List<String> csv = Files.readAllLines(run.resolve("fid/report.csv"));
        assertEquals(5, csv.size(), "header and two generators of two checkpoints");
        assertTrue(csv.get(0).startsWith("step,generator,fid,kid_mean"));
        String html = Files.readString(run.resolve("fid/report.html"));
        assertTrue(html.contains("<svg") && html.contains("<polyline"), "FID plot");
        assertEquals(4, html.split("data:image/png;base64,", -1).length - 1, "one grid per generator scored");
        assertEquals(Json.parse(trainReport).path("checkpoints").get(0).path("fid").asDouble(),
                report.path("checkpoints").get(2).path("fid").asDouble(), "step 30 as the train stage scored it");
        assertEquals(Json.parse(trainReport).path("checkpoints").get(1).path("fid").asDouble(),
                report.path("checkpoints").get(3).path("fid").asDouble());

        // a rerun (a cleared Airflow task) scores nothing and leaves the report as it was
        String before = Files.readString(run.resolve("fid/report.json"));
        CliRun again = CliRun.of("fid", "--run", run.toString(), "--set", "fid.samples=600", "--set", "fid.kid-subsets=10",
                "--set", "fid.kid-subset-size=100");
        assertEquals(0, again.code(), again.err());
        assertEquals(before, Files.readString(run.resolve("fid/report.json")));
        // --rescore computes them again: a new report, the same numbers
        CliRun rescored = CliRun.of("fid", "--run", run.toString(), "--rescore", "--set", "fid.samples=600",
                "--set", "fid.kid-subsets=10", "--set", "fid.kid-subset-size=100");
        assertEquals(0, rescored.code(), rescored.err());
        JsonNode fresh = Json.parse(Files.readString(run.resolve("fid/report.json")));
        assertTrue(!fresh.path("created_at").equals(report.path("created_at")));
        for (int i = 0; i < 4; i++) {
            assertEquals(report.path("checkpoints").get(i).path("fid").asDouble(),
                    fresh.path("checkpoints").get(i).path("fid").asDouble());
        }
        // the cached real statistics (pytorch-fid layout) against themselves: FID 0, JSON alone on stdout
        Path stats;
        try (var files = Files.list(tmp.resolve("shards/fid"))) {
            stats = files.filter(f -> f.getFileName().toString().endsWith("-n600.npz")).findFirst().orElseThrow();
        }
        CliRun same = CliRun.of("fid", "--stats", stats.toString(), "--stats", stats.toString());
        assertEquals(0, same.code(), same.err());
        JsonNode fid = Json.parse(same.out());
        assertEquals(1, fid.size(), same.out());
        assertTrue(fid.path("fid").asDouble() <= 1e-6, same.out());
        assertEquals(same.out().trim(), same.out().strip().lines().findFirst().orElseThrow());
    }

    @Test
    void aFailedFidStageSaysTrainingFinishedAndHowToScoreLater() throws Exception {
        CliRun r = CliRun.of("train", "--config", "conf/local.conf",
                "--set", "data.limit=200", "--set", "data.shards=" + tmp.resolve("shards-small"),
                "--set", "output.dir=" + tmp.resolve("runs"), "--set", "run.id=fid-fails",
                "--set", "model.g-features=8", "--set", "model.d-features=8", "--set", "train.steps=2",
                "--set", "train.batch-per-worker=8", "--set", "fid.extractor=inception",
                "--set", "spark.conf.\"spark.ui.enabled\"=false");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("training finished") && r.err().contains("fid.inception-weights")
                && r.err().contains("sparkgan fid --run"), r.err());
        Path failed = tmp.resolve("runs/fid-fails");
        assertTrue(Files.isRegularFile(failed.resolve("_SUCCESS")), "the trained run stays complete");
        assertTrue(Files.isRegularFile(failed.resolve("checkpoints/step-00000002/_COMMITTED")));
        assertTrue(!Files.exists(failed.resolve("fid/report.json")), "no half report");
        Path unscored = tmp.resolve("unscored-samples");
        CliRun sampled = CliRun.of("sample", "--checkpoint", failed.toString(), "--n", "2", "--frames", "0",
                "--out", unscored.toString());
        assertEquals(0, sampled.code(), sampled.err());
        assertEquals("raw", Json.parse(Files.readString(unscored.resolve("samples.json"))).path("generator").asText(),
                "no report scores the run: sample hands out the raw generator");
    }

    @Test
    void sampleRefusesAClassForAnUnconditionalGenerator() {
        CliRun r = CliRun.of("sample", "--checkpoint", run.toString(), "--n", "2", "--class", "1",
                "--out", tmp.resolve("no-classes").toString());
        assertTrue(r.code() != 0 && r.err().contains("generator is not conditional (its run had"
                + " model.conditional = false); leave --class out"), r.err());
    }

    @Test
    void fidRejectsUnknownCheckpointsAndMissingRuns() {
        CliRun step = CliRun.of("fid", "--run", run.toString(), "--checkpoints", "7");
        assertEquals(2, step.code());
        assertTrue(step.err().contains("no committed checkpoint at step 7") && step.err().contains("[15, 30]"), step.err());
        CliRun missing = CliRun.of("fid", "--run", tmp.resolve("runs/none").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("no run.conf"), missing.err());
        CliRun stats = CliRun.of("fid", "--stats", tmp.resolve("nothing.npz").toString(), "--stats", "x.npz");
        assertEquals(2, stats.code());
        assertTrue(stats.err().contains("nothing.npz: no such file"), stats.err());
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
        // the machines: local mode has one JVM, the driver, which is also the executor
        NativePlatform here = NativePlatform.current();
        assertEquals(1, p.path("jvms").size(), p.toPrettyString());
        JsonNode jvm = p.path("jvms").get(0);
        assertEquals("driver", jvm.path("role").asText());
        assertEquals(here.cpuModelName(), jvm.path("cpu_model_name").asText());
        assertEquals(here.openBlasCore(), jvm.path("openblas_core").asText());
        assertEquals(here.isaFlags().size(), jvm.path("isa_flags").size());
        assertEquals("ok", jvm.path("self_check").path("result").asText(), jvm.toPrettyString());
        assertTrue(jvm.path("self_check").path("kernels_checked").asInt() >= 10, jvm.toPrettyString());
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
        // the JVMs that ran steps 21-30, with the kernels they ran
        assertEquals(1, state.path("jvms").size(), state.toPrettyString());
        assertEquals(NativePlatform.current().openBlasCore(), state.path("jvms").get(0).path("openblas_core").asText());
        assertEquals("ok", state.path("jvms").get(0).path("self_check").path("result").asText());
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

    @Test
    void sampleWritesMarkedImagesThatDoNotDependOnTheCluster() throws Exception {
        Path out4 = tmp.resolve("samples-4");
        CliRun r = CliRun.of("sample", "--checkpoint", run.toString(), "--n", "70", "--batch", "32",
                "--out", out4.toString(), "--seed", "7", "--frames", "6");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().trim().endsWith("samples.json"), r.out());
        JsonNode manifest = Json.parse(Files.readString(out4.resolve("samples.json")));
        assertEquals(70, manifest.path("count").asInt());
        assertEquals(30, manifest.path("step").asInt(), "a run directory means its newest checkpoint");
        // by default the generator the run's report scored lower at that checkpoint
        Map<String, Double> fids = new java.util.HashMap<>();
        for (JsonNode row : Json.parse(Files.readString(run.resolve("fid/report.json"))).path("checkpoints")) {
            if (row.path("step").asInt() == 30) {
                fids.put(row.path("generator").asText(), row.path("fid").asDouble());
            }
        }
        assertEquals(fids.get("raw") < fids.get("ema") ? "raw" : "ema", manifest.path("generator").asText(),
                fids.toString());
        try (var files = Files.list(out4)) {
            assertEquals(70, files.filter(f -> f.getFileName().toString().matches("sample-\\d{8}\\.png")).count());
        }
        for (int i : new int[] {0, 33, 69}) {
            Path png = out4.resolve(String.format("sample-%08d.png", i));
            BufferedImage image = ImageIO.read(png.toFile());
            assertEquals(28, image.getWidth());
            assertEquals(28, image.getHeight());
            Map<String, String> text;
            try (InputStream in = Files.newInputStream(png)) {
                text = Png.readText(in);
            }
            assertEquals("true", text.get("Synthetic"));
            assertEquals("it", text.get("sparkgan:run-id"));
            assertEquals("30", text.get("sparkgan:step"));
            assertEquals(String.valueOf(i), text.get("sparkgan:index"));
        }
        BufferedImage strip = ImageIO.read(out4.resolve("interpolation.png").toFile());
        assertEquals(6 * 30 + 2, strip.getWidth());
        assertEquals(30 + 2, strip.getHeight());
        try (InputStream in = Files.newInputStream(out4.resolve("interpolation.png"))) {
            assertEquals("true", Png.readText(in).get("Synthetic"));
        }

        // another cluster shape, the checkpoint named directly: the same files, byte for byte
        Path out2 = tmp.resolve("samples-2");
        r = CliRun.of("sample", "--checkpoint", run.resolve("checkpoints/step-00000030").toString(), "--n", "70",
                "--batch", "32", "--out", out2.toString(), "--seed", "7", "--frames", "6",
                "--set", "spark.master=local[2]");
        assertEquals(0, r.code(), r.err());
        for (int i = 0; i < 70; i++) {
            String name = String.format("sample-%08d.png", i);
            assertTrue(Arrays.equals(Files.readAllBytes(out4.resolve(name)), Files.readAllBytes(out2.resolve(name))),
                    name + " differs between local[4] and local[2]");
        }
        assertTrue(Arrays.equals(Files.readAllBytes(out4.resolve("interpolation.png")),
                Files.readAllBytes(out2.resolve("interpolation.png"))));

        // the raw generator is another network; another seed, other images
        Path raw = tmp.resolve("samples-raw");
        assertEquals(0, CliRun.of("sample", "--checkpoint", run.toString(), "--n", "3", "--out", raw.toString(),
                "--seed", "7", "--generator", "raw", "--frames", "0").code());
        assertEquals("raw", Json.parse(Files.readString(raw.resolve("samples.json"))).path("generator").asText());
        assertTrue(!Files.exists(raw.resolve("interpolation.png")));
        Path ema = tmp.resolve("samples-ema");
        assertEquals(0, CliRun.of("sample", "--checkpoint", run.toString(), "--n", "3", "--out", ema.toString(),
                "--generator", "ema", "--frames", "0").code());
        assertEquals("ema", Json.parse(Files.readString(ema.resolve("samples.json"))).path("generator").asText());
        CliRun unknown = CliRun.of("sample", "--checkpoint", run.toString(), "--n", "3", "--out",
                tmp.resolve("y").toString(), "--generator", "best");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().contains("--generator best: expected better, ema or raw"), unknown.err());

        CliRun missing = CliRun.of("sample", "--checkpoint", tmp.resolve("nowhere").toString(), "--n", "3", "--out",
                tmp.resolve("x").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("--checkpoint") && missing.err().contains("no such file"), missing.err());
        Path uncommitted = run.resolve("checkpoints/step-00000099");
        Files.createDirectories(uncommitted);
        CliRun half = CliRun.of("sample", "--checkpoint", uncommitted.toString(), "--n", "3", "--out",
                tmp.resolve("y").toString());
        Files.delete(uncommitted);
        assertEquals(1, half.code());
        assertTrue(half.err().contains("never committed"), half.err());
    }
}

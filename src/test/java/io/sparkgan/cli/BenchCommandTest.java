package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.sparkgan.TestSpark;
import io.sparkgan.bench.TrainingBenchmark;
import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.WorkerInput;
import io.sparkgan.io.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `sparkgan bench` prints one JSON object with every figure, and cleans up its scratch run. */
class BenchCommandTest {
    @TempDir
    Path tmp;

    @Test
    void printsEveryFigure() throws Exception {
        TestSpark.stop();
        CliRun run = CliRun.of("bench",
                "--threads", "1", "--steps", "3", "--warmup", "1",
                "--set", "spark.master=local[2]", "--set", "train.workers=2", "--set", "train.batch-per-worker=8",
                "--set", "model.g-features=8", "--set", "model.d-features=8",
                "--set", "output.dir=" + tmp.resolve("runs"), "--set", "spark.conf.\"spark.ui.enabled\"=false");
        assertEquals(0, run.code(), run.err());
        JsonNode r = Json.parse(run.out());
        for (String key : List.of("single_process_images_per_s", "spark_images_per_s", "bytes_moved_per_step",
                "peak_heap_bytes", "peak_rss_bytes", "checkpoint_write_s")) {
            assertTrue(r.path(key).asDouble() > 0, key + " in " + run.out());
        }
        double sync = r.path("sync_fraction").asDouble();
        assertTrue(sync > 0 && sync < 1, "sync_fraction " + sync);
        for (String part : List.of("total", "executor_compute", "broadcast", "aggregate", "driver_update",
                "checkpoint_amortised")) {
            assertTrue(r.path("step_time_s").path(part).isNumber(), part);
        }
        assertTrue(r.path("step_time_s").path("executor_compute").asDouble()
                <= r.path("step_time_s").path("total").asDouble());
        assertEquals(3, r.path("spark_steps_measured").asInt());
        try (var runs = Files.list(tmp.resolve("runs"))) {
            assertEquals(0, runs.count(), "the scratch run directory is removed");
        }
    }

    /**
     * The single process judges one executor's share of real images in each D round (it once read the
     * whole global batch, twice PyTorch's at two workers, and so understated our step against it).
     */
    @Test
    void theSingleProcessReadsOneWorkersShareOfEachBatch() {
        for (int workers : new int[] {1, 2, 4}) {
            SparkganConfig config = ConfigLoader.load(ConfigFactory.empty(), List.of("train.workers=" + workers,
                    "train.batch-per-worker=8", "run.id=bench-input"));
            WorkerInput input = TrainingBenchmark.singleProcessInput(config);
            for (long t = 0; t < 3; t++) {
                assertEquals(8, input.batch(t).count(), workers + " workers, global batch " + t);
            }
        }
    }

    /**
     * With --torch, each pair times our step and then the reference back to back, and the ratio
     * reported is the median of the pairs'. The reference here is a shell script that reports a
     * fixed speed (PyTorch is not installed in CI; the comparison, not PyTorch, is under test), and
     * one that fails.
     */
    @Test
    void pairsOurStepWithTheReferenceAndReportsTheMedianRatio() throws Exception {
        Path reference = tmp.resolve("reference.sh");
        Files.writeString(reference, "echo 'some warning'\necho '{\"torch_version\": \"x\", \"torch_images_per_s\": 100.0}'\n");
        JsonNode r = bench("--torch", reference.toString(), "--python", "/bin/sh", "--pairs", "3");
        JsonNode pairs = r.path("torch").path("pairs");
        assertEquals(3, pairs.size(), r.toString());
        List<Double> ratios = new ArrayList<>();
        for (JsonNode pair : pairs) {
            assertEquals(100.0, pair.path("torch_images_per_s").asDouble());
            assertEquals(pair.path("sparkgan_images_per_s").asDouble() / 100.0, pair.path("ratio").asDouble(), 1e-12);
            ratios.add(pair.path("ratio").asDouble());
        }
        ratios.sort(null);
        assertEquals(ratios.get(1), r.path("single_process_vs_torch").asDouble(), 1e-12);
        assertEquals("x", r.path("torch").path("torch_version").asText());

        Path failing = tmp.resolve("failing.sh");
        Files.writeString(failing, "echo 'ModuleNotFoundError: No module named torch'\nexit 1\n");
        JsonNode f = bench("--torch", failing.toString(), "--python", "/bin/sh");
        assertTrue(f.path("torch").path("error").asText().contains("No module named torch"), f.toString());
        assertTrue(f.path("single_process_vs_torch").isMissingNode(), f.toString());
    }

    private JsonNode bench(String... extra) {
        TestSpark.stop();
        List<String> args = new ArrayList<>(List.of("bench", "--threads", "1", "--steps", "2", "--warmup", "1",
                "--set", "spark.master=local[2]", "--set", "train.workers=2", "--set", "train.batch-per-worker=4",
                "--set", "model.g-features=4", "--set", "model.d-features=4",
                "--set", "output.dir=" + tmp.resolve("runs"), "--set", "spark.conf.\"spark.ui.enabled\"=false"));
        args.addAll(List.of(extra));
        CliRun run = CliRun.of(args);
        assertEquals(0, run.code(), run.err());
        return Json.parse(run.out());
    }
}

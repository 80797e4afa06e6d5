package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.TestSpark;
import io.sparkgan.io.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Trains a tiny real run into a fixed place, {@code target/test-runs/notebook-run/}, and scores all
 * its checkpoints: the run that {@code bin/test} then executes {@code notebooks/run_report.ipynb}
 * against. The assertions are what the notebook reads.
 */
class NotebookRunFixtureTest {
    static final Path OUTPUT = Path.of("target/test-runs");
    static final Path RUN = OUTPUT.resolve("notebook-run");
    static final List<Long> CHECKPOINTS = List.of(15L, 30L, 45L);

    static CliRun train;
    static CliRun fid;

    @BeforeAll
    static void trainAndScore() {
        TestSpark.stop(); // the CLI starts (and stops) its own Spark context
        train = CliRun.of("train", "--fresh", "--config", "conf/local.conf",
                "--set", "data.limit=1600", "--set", "data.shards=" + OUTPUT.resolve("shards"),
                "--set", "output.dir=" + OUTPUT, "--set", "run.id=notebook-run",
                "--set", "model.g-features=16", "--set", "model.d-features=16",
                "--set", "train.steps=45", "--set", "train.batch-per-worker=16", "--set", "train.log-every=3",
                "--set", "train.sample-every=15", "--set", "train.checkpoint-every=15",
                "--set", "fid.samples=500", "--set", "fid.evaluator-epochs=1", "--set", "fid.kid-subsets=10",
                "--set", "fid.kid-subset-size=100",
                "--set", "spark.conf.\"spark.ui.enabled\"=false");
        if (train.code() == 0) {
            // train scored its last checkpoint; score them all so FID has a curve against step
            fid = CliRun.of("fid", "--run", RUN.toString(), "--checkpoints", "all", "--set", "fid.samples=500",
                    "--set", "fid.kid-subsets=10", "--set", "fid.kid-subset-size=100",
                    "--set", "spark.conf.\"spark.ui.enabled\"=false");
        }
    }

    @Test
    void runHoldsMetricsForEveryLoggedStep() throws Exception {
        assertEquals(0, train.code(), train.err());
        assertTrue(Files.isRegularFile(RUN.resolve("_SUCCESS")));
        List<String> lines = Files.readAllLines(RUN.resolve("metrics.jsonl"));
        assertEquals(16, lines.size(), "steps 1, 3, 6, ..., 45");
        List<Long> steps = new ArrayList<>();
        for (String line : lines) {
            JsonNode m = Json.parse(line);
            for (String key : List.of("step", "d_loss", "g_loss", "d_real", "d_fake")) {
                assertTrue(m.path(key).isNumber() && Double.isFinite(m.path(key).asDouble()), key + " in " + line);
            }
            steps.add(m.path("step").asLong());
        }
        assertEquals(45L, steps.get(steps.size() - 1));
        assertEquals(steps.stream().sorted().toList(), steps, "metrics in step order");
    }

    @Test
    void fidReportScoresEveryCheckpoint() throws Exception {
        assertEquals(0, train.code(), train.err());
        assertEquals(0, fid.code(), fid.err());
        JsonNode report = Json.parse(Files.readString(RUN.resolve("fid/report.json")));
        JsonNode rows = report.path("checkpoints");
        assertEquals(2 * CHECKPOINTS.size(), rows.size(), report.toString());
        for (int i = 0; i < rows.size(); i++) {
            JsonNode row = rows.get(i);
            assertEquals((long) CHECKPOINTS.get(i / 2), row.path("step").asLong());
            assertEquals(i % 2 == 0 ? "ema" : "raw", row.path("generator").asText(), "the EMA and the raw generator");
            assertTrue(row.path("fid").isNumber() && row.path("fid").asDouble() > 0, row.toString());
            assertTrue(row.path("kid_mean").isNumber() && row.path("kid_std").isNumber(), row.toString());
        }
    }

    @Test
    void sampleGridsExistForStepZeroAndEveryCheckpoint() throws Exception {
        assertEquals(0, train.code(), train.err());
        List<String> grids;
        try (Stream<Path> files = Files.list(RUN.resolve("samples"))) {
            grids = files.map(f -> f.getFileName().toString()).sorted().toList();
        }
        assertEquals(List.of("step-00000000.png", "step-00000015.png", "step-00000030.png", "step-00000045.png"), grids);
        byte[] png = Files.readAllBytes(RUN.resolve("samples/step-00000045.png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals("PNG", new String(png, 1, 3, StandardCharsets.US_ASCII));
    }
}

package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.TestSpark;
import io.sparkgan.io.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
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
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), "bench",
                "--threads", "1", "--steps", "3", "--warmup", "1",
                "--set", "spark.master=local[2]", "--set", "train.workers=2", "--set", "train.batch-per-worker=8",
                "--set", "model.g-features=8", "--set", "model.d-features=8",
                "--set", "output.dir=" + tmp.resolve("runs"), "--set", "spark.conf.\"spark.ui.enabled\"=false");
        assertEquals(0, code, err.toString());
        JsonNode r = Json.parse(out.toString());
        for (String key : List.of("single_process_images_per_s", "spark_images_per_s", "bytes_moved_per_step",
                "peak_heap_bytes", "peak_rss_bytes", "checkpoint_write_s")) {
            assertTrue(r.path(key).asDouble() > 0, key + " in " + out);
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
}

package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.TestSpark;
import io.sparkgan.io.Json;
import io.sparkgan.io.Png;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A conditional run from the command line: train with its FID stage (class consistency and
 * intra-class FID in the report), the exported generator taking the class as an input, and sample --class.
 */
class ConditionalRunTest {
    /**
     * The evaluator must recognise the class asked for well above chance (0.1 for Fashion-MNIST's ten
     * classes). Measured with this run's settings (cond-hinge-sn, widths 16, 2 × 16, 6,000 images, an
     * evaluator of one epoch with held-out accuracy 0.76), the raw generator's class consistency grows
     * with steps: 0.14 at 100, 0.25 at 200, 0.50 at 300, 0.72 at 400. The bound leaves room for
     * processors whose kernels round differently.
     */
    private static final double CONSISTENCY_AT_400_STEPS = 0.4;

    @TempDir
    static Path tmp;

    @Test
    void trainScoresClassConsistencyAndSampleWritesTheClassesAskedFor() throws Exception {
        TestSpark.stop(); // the CLI starts (and stops) its own Spark context
        CliRun train = CliRun.of("train", "--config", "conf/recipes/cond-hinge-sn.conf",
                "--set", "spark.master=local[2]", "--set", "train.workers=2",
                "--set", "data.limit=6000", "--set", "data.shards=" + tmp.resolve("shards"),
                "--set", "output.dir=" + tmp.resolve("runs"), "--set", "run.id=cgan",
                "--set", "model.g-features=16", "--set", "model.d-features=16",
                "--set", "train.steps=400", "--set", "train.batch-per-worker=16", "--set", "train.log-every=100",
                "--set", "train.sample-every=400", "--set", "train.checkpoint-every=400",
                "--set", "fid.samples=1000", "--set", "fid.evaluator-epochs=1", "--set", "fid.kid-subsets=5",
                "--set", "fid.kid-subset-size=100", "--set", "spark.conf.\"spark.ui.enabled\"=false");
        assertEquals(0, train.code(), train.err());
        Path run = tmp.resolve("runs/cgan");
        JsonNode rows = Json.parse(Files.readString(run.resolve("fid/report.json"))).path("checkpoints");
        JsonNode row = null;
        for (JsonNode r : rows) {
            row = r.path("generator").asText().equals("raw") ? r : row;
        }
        assertTrue(row != null, rows.toString());
        double consistency = row.path("class_consistency").asDouble(-1);
        assertTrue(consistency >= CONSISTENCY_AT_400_STEPS && consistency <= 1, row.toString());
        double intra = row.path("intra_fid").asDouble(-1);
        assertTrue(intra > 0 && Double.isFinite(intra) && intra != row.path("fid").asDouble(), row.toString());
        assertTrue(Files.list(tmp.resolve("shards/fid")).anyMatch(f -> f.toString().endsWith(".classes.npz")),
                "the real side's per-class statistics are cached");

        SameDiff generator = SameDiff.load(run.resolve("checkpoints/step-00000400/generator.sdz").toFile(), false);
        var z = Nd4j.randn(DataType.FLOAT, 2, 100);
        var images = generator.output(Map.of("z", z, "labels", Nd4j.createFromArray(3, 7)), "images").get("images");
        assertEquals(List.of(2L, 1L, 28L, 28L), java.util.Arrays.stream(images.shape()).boxed().toList());

        Path out = tmp.resolve("samples");
        CliRun sample = CliRun.of("sample", "--checkpoint", run.toString(), "--n", "4", "--batch", "4",
                "--class", "3,7", "--frames", "0", "--out", out.toString());
        assertEquals(0, sample.code(), sample.err());
        for (int i = 0; i < 4; i++) {
            try (InputStream in = Files.newInputStream(out.resolve(String.format("sample-%08d.png", i)))) {
                assertEquals(i % 2 == 0 ? "3" : "7", Png.readText(in).get("sparkgan:class"));
            }
        }
        assertEquals("[3,7]", Json.parse(Files.readString(out.resolve("samples.json"))).path("classes").toString());
        CliRun unknown = CliRun.of("sample", "--checkpoint", run.toString(), "--n", "1", "--class", "10",
                "--out", tmp.resolve("none").toString());
        assertTrue(unknown.code() != 0 && unknown.err().contains("--class 10: the generator knows classes 0 to 9"),
                unknown.err());
    }
}

package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bad configuration stops every stage with exit code 2 and one clear line, before Spark starts. */
class CommandLineErrorsTest {
    @TempDir
    Path tmp;

    @Test
    void badValueStopsTrainWithExitCodeTwo() {
        CliRun o = CliRun.of("train", "--set", "train.steps=-3", "--set", "output.dir=" + tmp);
        assertEquals(2, o.code());
        assertTrue(o.err().startsWith("sparkgan: Configuration error: train.steps = -3 (--set train.steps=-3)"), o.err());
        assertTrue(Files.notExists(tmp.resolve("runs")), "nothing written");
    }

    @Test
    void unknownKeyStopsPrepare() {
        CliRun o = CliRun.of("prepare", "--set", "data.sauce=x");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("unknown key data.sauce") && o.err().contains("did you mean data.source?"), o.err());
    }

    @Test
    void fidImagesWithoutSaveStatsSaysWhatItNeeds() {
        CliRun o = CliRun.of("fid", "--images", "samples/");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("--images needs --save-stats NPZ: where to write the images' statistics"), o.err());
    }

    @Test
    void styleGanSamplingOptionsAreCheckedBeforeSparkStarts() {
        CliRun half = CliRun.of("sample", "--checkpoint", "x", "--n", "1", "--out", tmp.toString(), "--mix-seed", "2");
        assertEquals(2, half.code());
        assertTrue(half.err().contains("--mix-seed and --crossover go together"), half.err());
        CliRun psi = CliRun.of("sample", "--checkpoint", "x", "--n", "1", "--out", tmp.toString(), "--truncation", "1.5");
        assertEquals(2, psi.code());
        assertTrue(psi.err().contains("--truncation 1.5: expected ψ in [0, 1]"), psi.err());
        CliRun noise = CliRun.of("sample", "--checkpoint", "x", "--n", "1", "--out", tmp.toString(), "--noise-mode", "loud");
        assertEquals(2, noise.code());
        assertTrue(noise.err().contains("--noise-mode loud: expected const, random or none"), noise.err());
    }

    @Test
    void translateOptionsAreCheckedBeforeSparkStarts() {
        CliRun direction = CliRun.of("translate", "--checkpoint", "x", "--in", "y", "--out", tmp.toString(),
                "--direction", "BtoA");
        assertEquals(2, direction.code());
        assertTrue(direction.err().contains("--direction BtoA picks a half of an aligned pair: give --layout aligned"),
                direction.err());
        CliRun layout = CliRun.of("translate", "--checkpoint", "x", "--in", "y", "--out", tmp.toString(), "--layout",
                "pairs");
        assertEquals(2, layout.code());
        assertTrue(layout.err().contains("--layout pairs: expected images or aligned"), layout.err());
        CliRun paired = CliRun.of("config", "--set", "model.architecture=pix2pix");
        assertEquals(2, paired.code());
        assertTrue(paired.err().contains("data.layout = \"images\"") && paired.err().contains("\"aligned\" with"
                + " model.architecture = pix2pix"), paired.err());
        CliRun ema = CliRun.of("config", "--config", "conf/recipes/pix2pix.conf", "--set", "train.ema-half-life=5000");
        assertEquals(2, ema.code());
        assertTrue(ema.err().contains("train.ema-half-life = 5000") && ema.err().contains("does not apply to"
                + " model.architecture = pix2pix"), ema.err());
        CliRun l1 = CliRun.of("config", "--set", "train.l1-weight=10");
        assertEquals(2, l1.code());
        assertTrue(l1.err().contains("the L1 term is a translation's"), l1.err());
    }

    @Test
    void unknownOptionIsAUsageError() {
        CliRun o = CliRun.of("train", "--confg", "x.conf");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("Unknown option") && o.err().contains("'--confg'"), o.err());
    }

    @Test
    void configCommandPrintsTheResolvedConfig() {
        CliRun o = CliRun.of("config", "--config", "conf/local.conf", "--set", "train.steps=77");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("steps=77"), o.out());
        assertTrue(o.out().contains("master=\"local[4]\""), o.out());
    }

    @Test
    void shippedConfigsAreValid() {
        assertEquals(0, CliRun.of("config", "--config", "conf/local.conf").code());
        CliRun gpu = CliRun.of("config", "--config", "conf/cluster-gpu.conf");
        assertEquals(0, gpu.code(), gpu.err());
        java.io.File[] recipes = new java.io.File("conf/recipes").listFiles((d, name) -> name.endsWith(".conf"));
        assertTrue(recipes != null && recipes.length >= 6, "the recipes of docs/recipes.md");
        for (java.io.File recipe : recipes) {
            CliRun r = CliRun.of("config", "--config", recipe.getPath());
            assertEquals(0, r.code(), recipe + ": " + r.err());
        }
    }

    @Test
    void anUnreachableMasterStopsInSecondsWithOneLineNamingIt() {
        long started = System.nanoTime();
        CliRun o = CliRun.of("train", "--set", "spark.master=spark://127.0.0.1:1", "--set", "output.dir=" + tmp);
        double seconds = (System.nanoTime() - started) / 1e9;
        assertEquals(2, o.code(), o.err());
        assertEquals(1, o.err().strip().lines().count(), o.err());
        assertTrue(o.err().startsWith("sparkgan: Configuration error: cannot reach the Spark master spark://127.0.0.1:1"
                + " (127.0.0.1:1: Connection refused; tried 3 times over "), o.err());
        assertTrue(seconds < 30, "gave up after " + seconds + " s");
        assertEquals(0, tmp.toFile().list().length, "nothing written under output.dir");
    }
}

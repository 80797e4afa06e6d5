package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bad configuration stops every stage with exit code 2 and one clear line, before Spark starts. */
class CommandLineErrorsTest {
    @TempDir
    Path tmp;

    private record Outcome(int code, String out, String err) {}

    private static Outcome run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    @Test
    void badValueStopsTrainWithExitCodeTwo() {
        Outcome o = run("train", "--set", "train.steps=-3", "--set", "output.dir=" + tmp);
        assertEquals(2, o.code());
        assertTrue(o.err().startsWith("sparkgan: Configuration error: train.steps = -3 (--set train.steps=-3)"), o.err());
        assertTrue(Files.notExists(tmp.resolve("runs")), "nothing written");
    }

    @Test
    void unknownKeyStopsPrepare() {
        Outcome o = run("prepare", "--set", "data.sauce=x");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("unknown key data.sauce") && o.err().contains("did you mean data.source?"), o.err());
    }

    @Test
    void unknownOptionIsAUsageError() {
        Outcome o = run("train", "--confg", "x.conf");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("Unknown option") && o.err().contains("'--confg'"), o.err());
    }

    @Test
    void configCommandPrintsTheResolvedConfig() {
        Outcome o = run("config", "--config", "conf/local.conf", "--set", "train.steps=77");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("steps=77"), o.out());
        assertTrue(o.out().contains("master=\"local[4]\""), o.out());
    }

    @Test
    void shippedConfigsAreValid() {
        assertEquals(0, run("config", "--config", "conf/local.conf").code());
        Outcome gpu = run("config", "--config", "conf/cluster-gpu.conf");
        assertEquals(0, gpu.code(), gpu.err());
    }
}

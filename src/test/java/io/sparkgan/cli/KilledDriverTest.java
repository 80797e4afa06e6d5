package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.TestSpark;
import io.sparkgan.io.Json;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.train.Checkpoint;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver process killed (SIGKILL, no shutdown hooks) at random steps, twice, and the run rerun
 * with the same command: it resumes from the newest committed checkpoint and ends with the same
 * parameters, bit for bit, as a run that was never interrupted.
 */
class KilledDriverTest {
    private static final int STEPS = 12;
    private static final Pattern PROGRESS = Pattern.compile("step (\\d+)/" + STEPS + " ");

    @TempDir
    Path tmp;

    private List<String> trainArgs(String runId) {
        return List.of("train", "--config", "conf/local.conf",
                "--set", "spark.master=local[2]",
                "--set", "data.limit=800", "--set", "data.shards=" + tmp.resolve("shards"),
                "--set", "output.dir=" + tmp.resolve("runs"), "--set", "run.id=" + runId,
                "--set", "model.g-features=8", "--set", "model.d-features=8",
                "--set", "train.workers=2", "--set", "train.batch-per-worker=16",
                "--set", "train.steps=" + STEPS, "--set", "train.log-every=1", "--set", "train.checkpoint-every=3",
                "--set", "train.sample-every=6", "--set", "fid.enabled=false");
    }

    private static CliRun inProcess(List<String> args) {
        TestSpark.stop(); // the CLI starts its own context
        return CliRun.of(args);
    }

    /** A `sparkgan train` in a JVM of its own, its console collected as it runs. */
    private record Driver(Process process, StringBuffer log) {
        long pid() {
            return process.pid();
        }
    }

    /** Starts `sparkgan train` in a JVM of its own and returns once it has logged step {@code step}. */
    private Driver startDriver(List<String> args, long step) throws Exception {
        Process process = new ProcessBuilder(OwnJvm.command("2g", args)).redirectErrorStream(true).start();
        Driver driver = new Driver(process, new StringBuffer());
        CountDownLatch reached = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    driver.log().append(line).append('\n');
                    Matcher m = PROGRESS.matcher(line);
                    if (m.find() && Long.parseLong(m.group(1)) >= step) {
                        reached.countDown();
                    }
                }
            } catch (IOException e) {
                // the process was killed
            }
        }, "driver-log");
        reader.setDaemon(true);
        reader.start();
        if (!reached.await(3, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            fail("the driver did not reach step " + step + ":\n" + driver.log());
        }
        return driver;
    }

    /** Starts `sparkgan train` in a JVM of its own and SIGKILLs it once it logs step {@code killAt}. */
    private void runAndKill(List<String> args, long killAt) throws Exception {
        Driver driver = startDriver(args, killAt);
        driver.process().destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs
        assertTrue(driver.process().waitFor(60, TimeUnit.SECONDS), "the driver process exits");
    }

    private static void signal(String signal, long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor());
    }

    private static List<String> with(List<String> args, String... sets) {
        List<String> all = new ArrayList<>(args);
        for (String set : sets) {
            all.addAll(List.of("--set", set));
        }
        return all;
    }

    /**
     * Two drivers on one run directory: the first stops (SIGSTOP, as a long GC pause or a frozen
     * container does) past its lease; a second, started on the same run, waits out the lease, takes
     * the run over and finishes it. The first, when it wakes up, finds it lost the lease and stops
     * without writing anything more; the run is what an uninterrupted one would be.
     */
    @Test
    void aDriverPausedPastItsLeaseLosesTheRunToTheNextAndWritesNothingMore() throws Exception {
        CliRun straight = inProcess(trainArgs("straight"));
        assertEquals(0, straight.code(), straight.err());
        List<String> paused = with(trainArgs("paused"), "run.lease-timeout-seconds=3");
        Driver first = startDriver(paused, 4);
        signal("STOP", first.pid());
        try {
            CliRun second = inProcess(paused);
            assertEquals(0, second.code(), second.err());
        } finally {
            signal("CONT", first.pid());
        }
        assertTrue(first.process().waitFor(2, TimeUnit.MINUTES), "the first driver stops");
        assertEquals(1, first.process().exitValue(), first.log().toString());
        assertTrue(first.log().toString().contains("sparkgan: train: lost the lease of ")
                && first.log().toString().contains("this driver stops without writing more"), first.log().toString());
        assertEquals(Json.parse(Files.readString(tmp.resolve("runs/straight/_SUCCESS"))).path("params_sha256"),
                Json.parse(Files.readString(tmp.resolve("runs/paused/_SUCCESS"))).path("params_sha256"));
        List<Long> logged = Files.readAllLines(tmp.resolve("runs/paused/metrics.jsonl")).stream()
                .map(l -> Json.parse(l).path("step").asLong()).toList();
        assertEquals(LongStream.rangeClosed(1, STEPS).boxed().toList(), logged, "the second driver's log, whole");
    }

    @Test
    void driverKilledTwiceAtRandomStepsResumesToTheSameParameters() throws Exception {
        long seed = Long.getLong("sparkgan.killSeed", System.nanoTime());
        Random random = new Random(seed);
        long firstKill = 2 + random.nextInt(5);              // steps 2..6
        long secondKill = firstKill + 2 + random.nextInt(4);  // 2..5 steps later, before step 12
        System.out.printf("KilledDriverTest: seed %d, kills at steps %d and %d%n", seed, firstKill, secondKill);

        CliRun straight = inProcess(trainArgs("straight")); // also prepares the shards both runs use
        assertEquals(0, straight.code(), straight.err());
        JsonNode expected = Json.parse(Files.readString(tmp.resolve("runs/straight/_SUCCESS")));

        RunDirectory killed = RunDirectory.of(tmp.resolve("runs").toString(), "killed");
        for (long killAt : new long[] {firstKill, secondKill}) {
            runAndKill(trainArgs("killed"), killAt);
            assertFalse(Files.exists(tmp.resolve("runs/killed/_SUCCESS")), "killed before the end");
            // what a killed driver leaves is readable: whole metrics lines (the log is rewritten every
            // few seconds, so it may not exist yet), committed checkpoints only
            Path metrics = tmp.resolve("runs/killed/metrics.jsonl");
            for (String line : Files.exists(metrics) ? Files.readAllLines(metrics) : List.<String>of()) {
                assertTrue(Json.parse(line).path("step").asLong() > 0, line);
            }
            List<Long> committed = Checkpoint.committed(Storage.local(), killed);
            assertTrue(committed.isEmpty() || committed.get(committed.size() - 1) <= killAt, committed.toString());
        }

        CliRun rerun = inProcess(trainArgs("killed"));
        assertEquals(0, rerun.code(), rerun.err());
        JsonNode resumed = Json.parse(Files.readString(tmp.resolve("runs/killed/_SUCCESS")));
        assertEquals(STEPS, resumed.path("steps").asLong());
        assertEquals(expected.path("params_sha256"), resumed.path("params_sha256"),
                "kills at steps " + firstKill + " and " + secondKill + " (seed " + seed + ")");
        List<Long> logged = Files.readAllLines(tmp.resolve("runs/killed/metrics.jsonl")).stream()
                .map(l -> Json.parse(l).path("step").asLong()).toList();
        assertEquals(STEPS, logged.size(), "each step logged once: " + logged);
    }
}

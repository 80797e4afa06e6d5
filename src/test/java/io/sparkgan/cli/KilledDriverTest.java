package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.TestSpark;
import io.sparkgan.io.Json;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.train.Checkpoint;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    /** Starts `sparkgan train` in a JVM of its own and SIGKILLs it once it logs step {@code killAt}. */
    private long runAndKill(List<String> args, long killAt) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (flag.startsWith("--add-opens") || flag.startsWith("-Djdk.") || flag.startsWith("-Dorg.bytedeco")) {
                command.add(flag);
            }
        }
        command.add("-Xmx2g");
        command.add("-cp");
        command.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
        command.add(Main.class.getName());
        command.addAll(args);
        Process driver = new ProcessBuilder(command).redirectErrorStream(true).start();
        long lastStep = -1;
        StringBuilder log = new StringBuilder();
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(driver.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                log.append(line).append('\n');
                Matcher m = PROGRESS.matcher(line);
                if (m.find()) {
                    lastStep = Long.parseLong(m.group(1));
                    if (lastStep >= killAt) {
                        driver.destroyForcibly(); // SIGKILL: no shutdown hook, no finally block runs
                        break;
                    }
                }
            }
        } finally {
            driver.destroyForcibly();
            assertTrue(driver.waitFor(60, TimeUnit.SECONDS), "the driver process exits");
        }
        assertTrue(lastStep >= killAt, "the driver reached step " + killAt + " before it was killed:\n" + log);
        return lastStep;
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

package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.LogCapture;
import io.sparkgan.TestSpark;
import io.sparkgan.distributed.FaultHooks;
import io.sparkgan.distributed.PartitionResult;
import io.sparkgan.io.Json;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.step.GanState;
import io.sparkgan.step.Round;
import io.sparkgan.step.RoundSums;
import io.sparkgan.step.TrainingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Faults injected into real training runs through {@link FaultHooks}: failed tasks, a checkpoint
 * write that fails half-way, NaN gradients. Nothing is lost and the run ends as a clean one would.
 */
class FaultToleranceTest {
    /** local[4,3]: in local mode Spark retries a failed task only when the master names maxFailures. */
    private static JavaSparkContext sc;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startRetryingContext() {
        sc = TestSpark.retrying(4, 3, "sparkgan-fault-tests");
    }

    @AfterAll
    static void stopContext() {
        sc.close();
    }

    @AfterEach
    void clearHooks() {
        FaultHooks.clear();
    }

    private TrainingJob.Result train(String runId, int steps, String... sets) throws IOException {
        return TrainingFixtures.trainSmall(sc, tmp, runId, 9, steps, false, sets);
    }

    /**
     * In driver mode Spark retries the failed task; in collective mode the failed task fails its whole
     * barrier job, which the driver runs again from the job's starting state. Either way the run ends
     * bit-identical to a clean one (the clean run is in driver mode, so this also holds the modes equal).
     */
    @ParameterizedTest(name = "train.sync = {0}")
    @ValueSource(strings = {"driver", "collective"})
    void tasksThatFailOnTheirFirstAttemptAreRetriedAndTheRunIsBitIdentical(String sync) throws IOException {
        TrainingJob.Result clean = train("clean", 4, "train.sync=driver");

        AtomicBoolean dFault = new AtomicBoolean();
        AtomicBoolean gFault = new AtomicBoolean();
        FaultHooks.partition = (request, result) -> {
            boolean dRoundOfStep2 = request.round().step() == 1 && request.round().kind() == Round.Kind.DISCRIMINATOR
                    && result.partition() == 2;
            boolean gRoundOfStep4 = request.round().step() == 3 && request.round().kind() == Round.Kind.GENERATOR
                    && result.partition() == 0;
            if ((dRoundOfStep2 && dFault.compareAndSet(false, true))
                    || (gRoundOfStep4 && gFault.compareAndSet(false, true))) {
                throw new IllegalStateException("injected task failure");
            }
            return result;
        };
        TrainingJob.Result retried = train("retried-" + sync, 4, "train.sync=" + sync);

        assertTrue(dFault.get() && gFault.get(), "both faults fired");
        assertEquals(clean.generatorSha256(), retried.generatorSha256());
        assertEquals(clean.discriminatorSha256(), retried.discriminatorSha256());
    }

    /**
     * A worker slower than the others (here partition 1, 100 ms late in every round) is named in the
     * log after its job: in a barrier stage every task lasts as long as the slowest, so Spark's UI
     * cannot show which one it is. The run's parameters are those of a run without the delay.
     */
    @Test
    void aCollectiveJobNamesTheWorkerThatEveryStepWaitedFor() throws IOException {
        FaultHooks.partition = (request, result) -> {
            if (result.partition() == 1) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return result;
        };
        String log;
        TrainingJob.Result slowed;
        try (LogCapture capture = new LogCapture()) {
            slowed = train("straggler", 4, "train.sync=collective");
            log = capture.text();
        }
        FaultHooks.clear();
        String warning = log.lines().filter(l -> l.contains("every step waits for the slowest worker")).findFirst()
                .orElse(log);
        assertTrue(warning.matches("WARN .*CollectiveSteps: steps \\d+-\\d+: worker 1 \\(executor driver on .*\\) computed for"
                + " \\d+\\.\\d s, \\d+\\.\\d\\d× the fastest \\(worker \\d, \\d+\\.\\d s\\); every step waits for the"
                + " slowest worker \\(docs/performance.md, \"Stragglers\"\\)"), warning);
        assertEquals(train("not-slowed", 4, "train.sync=collective").generatorSha256(), slowed.generatorSha256());
    }

    @Test
    void aCollectiveJobThatKeepsFailingStopsWithTheCauseAndTheLastGoodCheckpoint() throws IOException {
        AtomicInteger failures = new AtomicInteger();
        FaultHooks.partition = (request, result) -> {
            if (request.round().step() == 2 && result.partition() == 1) {
                failures.incrementAndGet();
                throw new IllegalStateException("injected: GPU fell off the bus");
            }
            return result;
        };
        TrainingException e = assertThrows(TrainingException.class,
                () -> train("keeps-failing", 4, "train.sync=collective"));
        assertEquals(3, failures.get(), "local[4,3]: three attempts of the job");
        // whichever task Spark reports, the message names where the failure began
        assertTrue(e.getMessage().startsWith("steps 3-4: the collective job failed 3 times; task 1 failed:")
                && e.getMessage().contains("injected: GPU fell off the bus")
                && e.getMessage().contains("The last good checkpoint is")
                && e.getMessage().contains("step-00000002"), e.getMessage());
        RunDirectory run = RunDirectory.of(tmp.toString(), "keeps-failing");
        assertEquals(List.of(2L), Checkpoint.committed(Storage.local(), run));

        FaultHooks.clear();
        TrainingJob.Result resumed = train("keeps-failing", 4, "train.sync=collective");
        TrainingJob.Result clean = train("clean", 4, "train.sync=driver");
        assertEquals(clean.generatorSha256(), resumed.generatorSha256(), "resumed from step 2, ends as a clean run");
    }

    @Test
    void checkpointWriteFailingHalfWayLeavesThePreviousOneLoadableAndTheRerunMatches() throws IOException {
        TrainingJob.Result clean = train("clean", 6);

        FaultHooks.checkpointWrite = file -> {
            if (file.getParent().getName().equals("step-00000004") && file.getName().equals("optimiser.npz")) {
                throw new IOException("injected: disk quota exceeded");
            }
        };
        TrainingException e = assertThrows(TrainingException.class, () -> train("failed-write", 6));
        assertTrue(e.getMessage().contains("writing checkpoint") && e.getMessage().contains("step-00000004")
                && e.getMessage().contains("disk quota exceeded"), e.getMessage());
        assertTrue(e.getMessage().contains("The last good checkpoint is")
                && e.getMessage().contains("step-00000002"), e.getMessage());

        RunDirectory run = RunDirectory.of(tmp.toString(), "failed-write");
        Path half = tmp.resolve("failed-write/checkpoints/step-00000004");
        assertTrue(Files.exists(half.resolve("params.npz")), "the write got half-way");
        assertFalse(Files.exists(half.resolve(Checkpoint.COMMIT_MARKER)));
        assertEquals(List.of(2L), Checkpoint.committed(Storage.local(), run));
        GanState previous = Checkpoint.read(Storage.local(), run, 2,
                TrainingFixtures.config(tmp, "failed-write").train());
        assertEquals(2, previous.step());
        assertFalse(Files.exists(tmp.resolve("failed-write/_SUCCESS")));

        FaultHooks.clear();
        TrainingJob.Result rerun = train("failed-write", 6);
        assertEquals(clean.generatorSha256(), rerun.generatorSha256(), "resumed from step 2, ends as the clean run");
        assertEquals(clean.discriminatorSha256(), rerun.discriminatorSha256());
    }

    private static FaultHooks.PartitionFault nanDiscriminatorGradientAt(long step) {
        return (request, result) -> {
            RoundSums sums = result.sums();
            if (request.round().step() != step || sums.discriminatorGradient() == null || result.partition() != 1) {
                return result;
            }
            float[] poisoned = sums.discriminatorGradient().clone();
            poisoned[7] = Float.NaN;
            return new PartitionResult(result.partition(),
                    RoundSums.ofWorker(poisoned, sums.generatorGradient(), sums.statistics()), result.bfloat16());
        };
    }

    /** In collective mode every worker reaches the verdict from the same sums; the driver reports it once. */
    @ParameterizedTest(name = "train.sync = {0}")
    @ValueSource(strings = {"driver", "collective"})
    void nanGradientStopsNamingTheStepAndLeavesTheLastCheckpointIntact(String sync) throws IOException {
        FaultHooks.partition = nanDiscriminatorGradientAt(4);
        TrainingException e = assertThrows(TrainingException.class,
                () -> train("diverged", 6, "train.sync=" + sync));
        assertEquals(4, e.step());
        assertTrue(e.getMessage().startsWith("step 5: the discriminator gradient holds NaN (at index 7)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("train.on-non-finite = skip")
                && e.getMessage().contains("The last good checkpoint is")
                && e.getMessage().contains("step-00000004"), e.getMessage());

        RunDirectory run = RunDirectory.of(tmp.toString(), "diverged");
        assertEquals(List.of(2L, 4L), Checkpoint.committed(Storage.local(), run));
        GanState last = Checkpoint.read(Storage.local(), run, 4, TrainingFixtures.config(tmp, "d").train());
        assertTrue(allFinite(last.discriminator()) && allFinite(last.generator()));
        assertFalse(Files.exists(tmp.resolve("diverged/_SUCCESS")));
        List<String> metrics = Files.readAllLines(tmp.resolve("diverged/metrics.jsonl"));
        assertEquals(4, Json.parse(metrics.get(metrics.size() - 1)).path("step").asLong(),
                "metrics up to the last finished step were flushed");
    }

    @ParameterizedTest(name = "train.sync = {0}")
    @ValueSource(strings = {"driver", "collective"})
    void skipModeSkipsTheNonFiniteUpdateAndTrainsOn(String sync) throws IOException {
        TrainingJob.Result clean = train("clean", 6, "train.sync=" + sync);
        FaultHooks.partition = nanDiscriminatorGradientAt(4);
        TrainingJob.Result skipped = train("skipped", 6, "train.on-non-finite=skip", "train.sync=" + sync);

        assertEquals(6, skipped.steps());
        assertTrue(allFinite(skipped.discriminator()) && allFinite(skipped.generator()));
        assertNotEquals(clean.discriminatorSha256(), skipped.discriminatorSha256(), "one D update fewer");
        JsonNode step5 = Files.readAllLines(tmp.resolve("skipped/metrics.jsonl")).stream().map(Json::parse)
                .filter(l -> l.path("step").asLong() == 5).findFirst().orElseThrow();
        assertEquals(1, step5.path("non_finite_skipped").asInt());
        assertTrue(step5.path("d_grad_norm").isNull(), "NaN is written as JSON null: " + step5);
        assertTrue(Files.exists(tmp.resolve("skipped/_SUCCESS")));
    }

    /**
     * train.non-finite-skip-limit counts steps skipped in a row across a resume: the count is in the
     * checkpoint. Skips at steps 2, 3 and 4 with a limit of 2 stop the run at step 4, whether or not it
     * was resumed from the checkpoint at step 2 in between.
     */
    @Test
    void theSkipLimitCountsStepsSkippedBeforeAResume() throws IOException {
        FaultHooks.partition = (request, result) -> {
            long step = request.round().step();
            return step >= 1 && step <= 3 ? nanDiscriminatorGradientAt(step).apply(request, result) : result;
        };
        String[] skip = {"train.on-non-finite=skip", "train.non-finite-skip-limit=2"};
        TrainingException straight = assertThrows(TrainingException.class, () -> train("straight", 6, skip));
        assertEquals(3, straight.step());

        train("resumed", 2, skip); // skipped at step 2, then checkpointed
        TrainingException resumed = assertThrows(TrainingException.class, () -> train("resumed", 6, skip));
        assertEquals(3, resumed.step(), "the skip before the resume still counts");
        assertTrue(resumed.getMessage().contains("3 steps in a row"), resumed.getMessage());
    }

    @Test
    void retentionKeepsTheNewestAndTheBestFidCheckpoint() throws IOException {
        train("kept", 3, "train.checkpoint-every=1", "train.keep-checkpoints=2");
        RunDirectory run = RunDirectory.of(tmp.toString(), "kept");
        assertEquals(List.of(2L, 3L), Checkpoint.committed(Storage.local(), run));

        // the run was scored: step 2 has the best FID; a NaN FID never wins
        Files.createDirectories(tmp.resolve("kept/fid"));
        Files.writeString(tmp.resolve("kept/fid/report.json"), "{\"checkpoints\": ["
                + "{\"step\": 2, \"fid\": 11.5}, {\"step\": 3, \"fid\": 19.0}, {\"step\": 1, \"fid\": \"NaN\"}]}");
        // a leftover of a deletion cut short: uncommitted, older than the newest commit
        Files.createDirectories(tmp.resolve("kept/checkpoints/step-00000001"));

        train("kept", 6, "train.checkpoint-every=1", "train.keep-checkpoints=2");
        assertEquals(List.of(2L, 5L, 6L), Checkpoint.committed(Storage.local(), run));
        try (var dirs = Files.list(tmp.resolve("kept/checkpoints"))) {
            assertEquals(List.of("step-00000002", "step-00000005", "step-00000006"),
                    dirs.map(p -> p.getFileName().toString()).sorted().toList(), "no leftovers either");
        }
    }

    private static boolean allFinite(float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return values.length > 0 && !Arrays.equals(values, new float[values.length]);
    }
}

package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.LogCapture;
import io.sparkgan.TestSpark;
import io.sparkgan.io.Json;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.step.TrainingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An interrupted run resumes from its newest committed checkpoint and ends bit-identical to a run
 * that was never interrupted: data order, noise, Adam state, EMA and step counter all restored.
 */
class ResumeTest {
    @TempDir
    Path tmp;

    private TrainingJob.Result train(String runId, int steps, boolean fresh, String... sets) throws IOException {
        return TrainingFixtures.trainSmall(TestSpark.context(), tmp, runId, 5, steps, fresh, sets);
    }

    @Test
    void interruptedRunResumesBitIdentical() throws IOException {
        TrainingJob.Result straight = train("straight", 6, false);

        // The driver dies after the checkpoint at step 4 was committed, half-way through writing the
        // one at step 6: no _SUCCESS, an uncommitted step-6 directory, metrics logged past step 4.
        train("killed", 4, false);
        Path run = tmp.resolve("killed");
        Files.delete(run.resolve("_SUCCESS"));
        Files.createDirectories(run.resolve("checkpoints/step-00000006"));
        Files.writeString(run.resolve("checkpoints/step-00000006/params.npz"), "half-written");
        Files.writeString(run.resolve("metrics.jsonl"), Files.readString(run.resolve("metrics.jsonl"))
                + "{\"step\":5,\"d_loss\":1.0}\n");

        TrainingJob.Result resumed = train("killed", 6, false);
        assertFalse(resumed.alreadyFinished());
        assertEquals(6, resumed.steps());
        assertEquals(straight.generatorSha256(), resumed.generatorSha256());
        assertEquals(straight.discriminatorSha256(), resumed.discriminatorSha256());
        assertEquals(stateWithoutOrigin(tmp.resolve("straight/checkpoints/step-00000006/state.json")),
                stateWithoutOrigin(run.resolve("checkpoints/step-00000006/state.json")),
                "same step, EMA updates, hashes and guard counts, EMA generator included (run.id differs, and so does"
                        + " the config hash; the JVMs that ran the steps are recorded, not compared)");
        List<Long> logged = Files.readAllLines(run.resolve("metrics.jsonl")).stream()
                .map(l -> Json.parse(l).path("step").asLong()).toList();
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), logged, "each step logged once");
    }

    /**
     * The other losses, the gradient penalties, spectral norm and augmentation resume as exactly as the
     * classic loss; lazy R1 every 3 D rounds resumes at step 2 between two of its rounds.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"train.loss=hinge", "train.loss=least-squares",
        "train.loss=wgan-gp;model.d-norm=layer", "train.r1-gamma=2;train.r1-every=3;model.d-norm=none",
        "train.loss=hinge;model.spectral-norm=true", "train.augment=colour,translation,cutout"})
    void otherLossesResumeBitIdentical(String settings) throws IOException {
        String[] sets = settings.split(";");
        String name = settings.replaceAll("[^a-z0-9]+", "-");
        TrainingJob.Result straight = train("straight-" + name, 4, false, sets);
        train("resumed-" + name, 2, false, sets);
        Files.delete(tmp.resolve("resumed-" + name + "/_SUCCESS"));
        TrainingJob.Result resumed = train("resumed-" + name, 4, false, sets);
        assertEquals(straight.generatorSha256(), resumed.generatorSha256());
        assertEquals(straight.discriminatorSha256(), resumed.discriminatorSha256());
    }

    /**
     * What the parameters mean is part of the run: resuming with spectral norm switched, or another
     * D normalisation with the same parameter count, stops with a message.
     */
    @Test
    void aResumeWithOtherNormalisationStopsWithAMessage() throws IOException {
        train("sn", 2, false, "model.spectral-norm=true");
        Files.delete(tmp.resolve("sn/_SUCCESS"));
        TrainingException e = assertThrows(TrainingException.class,
                () -> train("sn", 4, false));
        assertTrue(e.getMessage().contains("was trained with g-norm=batch d-norm=batch spectral-norm=true, the model"
                + " configured now has g-norm=batch d-norm=batch spectral-norm=false; resume with the run's own settings"),
                e.getMessage());
        TrainingJob.Result plain = train("plain", 2, false);
        assertFalse(plain.generatorSha256().equals(train("sn-again", 2, false, "model.spectral-norm=true")
                .generatorSha256()), "spectral normalisation changes the run");
        Files.delete(tmp.resolve("plain/_SUCCESS"));
        e = assertThrows(TrainingException.class,
                () -> train("plain", 4, false, "model.spectral-norm=true"));
        assertTrue(e.getMessage().contains("was trained with g-norm=batch d-norm=batch spectral-norm=false, the model"
                + " configured now has g-norm=batch d-norm=batch spectral-norm=true"), e.getMessage());
        // layer norm and batch norm have the same parameters: only the recorded settings tell them apart
        train("layer", 2, false, "model.d-norm=layer");
        Files.delete(tmp.resolve("layer/_SUCCESS"));
        e = assertThrows(TrainingException.class, () -> train("layer", 4, false));
        assertTrue(e.getMessage().contains("was trained with g-norm=batch d-norm=layer spectral-norm=false"),
                e.getMessage());
    }

    /** A checkpoint of an earlier version has neither the guard's counts nor provenance in state.json. */
    @Test
    void checkpointWithoutTheFieldsAddedLaterStillResumesBitIdentical() throws IOException {
        TrainingJob.Result straight = train("straight", 4, false);
        train("older", 2, false);
        Path run = tmp.resolve("older");
        Files.delete(run.resolve("_SUCCESS"));
        Path state = run.resolve("checkpoints/step-00000002/state.json");
        ObjectNode json = (ObjectNode) Json.parse(Files.readString(state));
        json.remove(List.of("guard", "config_sha256", "dataset_sha256", "sparkgan_version", "executor_threads"));
        Files.writeString(state, Json.pretty(json));

        TrainingJob.Result resumed = train("older", 4, false);
        assertEquals(straight.generatorSha256(), resumed.generatorSha256());
        assertEquals(straight.discriminatorSha256(), resumed.discriminatorSha256());
    }

    /** The native thread count is part of what fixes the bits: recorded, and a change on resume is said. */
    @Test
    void aResumeWithAnotherThreadCountIsReportedAndRecorded() throws IOException {
        train("threads", 2, false, "train.executor-threads=1");
        Files.delete(tmp.resolve("threads/_SUCCESS"));
        assertEquals(1, Json.parse(Files.readString(tmp.resolve("threads/provenance.json"))).path("executor_threads")
                .asInt());
        String log;
        try (LogCapture capture = new LogCapture()) {
            train("threads", 4, false, "train.executor-threads=2");
            log = capture.text();
        }
        assertTrue(log.contains("WARN  io.sparkgan.train.TrainingJob: train: resuming ") && log.contains(
                " with 2 native threads per task, but its checkpoint at step 2 was trained with 1"), log);
        assertEquals(2, Json.parse(Files.readString(tmp.resolve("threads/checkpoints/step-00000004/state.json")))
                .path("executor_threads").asInt(), "the checkpoints it writes record the count it ran with");
    }

    /** A state.json without what names the run and where and when it ran. */
    private static JsonNode stateWithoutOrigin(Path file) throws IOException {
        ObjectNode state = (ObjectNode) Json.parse(Files.readString(file));
        state.remove(List.of("run_id", "config_sha256", "created_at", "jvms"));
        return state;
    }

    /**
     * Dense layers' sgemm rounds by the OpenBLAS core: a resume on JVMs running other cores than the
     * checkpoint's steps did is said (the core of each JVM comes from its state.json and this run's).
     */
    @Test
    void aResumeUnderOtherOpenBlasKernelsIsReported() throws IOException {
        train("cores", 2, false);
        JsonNode state = Json.parse(Files.readString(
                tmp.resolve("cores/checkpoints/step-00000002/state.json")));
        String core = state.path("jvms").get(0).path("openblas_core").asText();
        assertFalse(core.isEmpty(), state.toPrettyString());
        RunDirectory run = new RunDirectory(new org.apache.hadoop.fs.Path(tmp.resolve("cores").toUri())); // Hadoop's
        String log;
        try (LogCapture capture = new LogCapture()) {
            ResumeChecks.warnOnOtherKernels(state, List.of(Map.of("openblas_core", core)), run, 2);
            assertEquals("", capture.text(), "the same kernels: nothing to say");
            ResumeChecks.warnOnOtherKernels(state, List.of(Map.of("openblas_core", "another-core"),
                    Map.of("openblas_core", core)), run, 2);
            log = capture.text();
        }
        assertTrue(log.contains("WARN  io.sparkgan.train.TrainingJob: train: resuming ") && log.contains(
                "on JVMs whose OpenBLAS runs the " + new TreeSet<>(List.of("another-core", core)) + " kernels, but the"
                + " steps up to its checkpoint"
                + " at step 2 ran with [" + core + "]"), log);
    }

    @Test
    void finishedRunIsLeftAloneAndFreshStartsOver() throws IOException {
        TrainingJob.Result first = train("done", 2, false);
        long modified = Files.getLastModifiedTime(tmp.resolve("done/_SUCCESS")).toMillis();
        TrainingJob.Result again = train("done", 2, false);
        assertTrue(again.alreadyFinished());
        assertEquals(first.generatorSha256(), again.generatorSha256());
        assertEquals(modified, Files.getLastModifiedTime(tmp.resolve("done/_SUCCESS")).toMillis());

        TrainingJob.Result longer = train("done", 4, false);
        assertFalse(longer.alreadyFinished());
        assertEquals(4, longer.steps());
        assertEquals(train("four", 4, false).generatorSha256(), longer.generatorSha256(),
                "training on past a finished run equals training that far in one go");

        TrainingJob.Result fresh = train("done", 2, true);
        assertEquals(first.generatorSha256(), fresh.generatorSha256());
        assertFalse(Files.exists(tmp.resolve("done/checkpoints/step-00000004")), "--fresh removed the old attempt");
    }

    @Test
    void resumingWithAnotherModelSaysWhatDiffers() throws IOException {
        train("model", 2, false);
        Files.delete(tmp.resolve("model/_SUCCESS"));
        TrainingException e = assertThrows(TrainingException.class,
                () -> train("model", 4, false, "model.g-features=16"));
        assertTrue(e.getMessage().contains("cannot resume") && e.getMessage().contains("--fresh"), e.getMessage());
    }
}

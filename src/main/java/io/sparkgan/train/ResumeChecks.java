package io.sparkgan.train;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.model.GanReplica;
import io.sparkgan.step.GanState;
import io.sparkgan.step.TrainingException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What a resume checks about the checkpoint it continues from, against the run configured now. */
final class ResumeChecks {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingJob.class);

    private ResumeChecks() {
    }

    /**
     * Kernels that split a reduction by thread count (oneDNN's on some CPUs) can give other bits with
     * another count: a resume with other executor threads may leave the run's trajectory. Said, not
     * refused: the run goes on, and the checkpoints it writes record the new count.
     */
    static void warnOnOtherThreads(JsonNode checkpoint, int threads, RunDirectory run, long step) {
        int before = checkpoint.path("executor_threads").asInt(0);
        if (before > 0 && before != threads) {
            LOG.warn("train: resuming {} with {} native threads per task, but its checkpoint at step {} was trained"
                    + " with {}; the run may not end bit-identical to an uninterrupted one (set"
                    + " train.executor-threads = {} to keep it)", run.root(), threads, step, before, before);
        }
    }

    /**
     * Dense layers run OpenBLAS's sgemm, whose rounding depends on the core it picked for the CPU (or
     * OPENBLAS_CORETYPE): a resume on JVMs with other cores than the checkpoint's steps ran on trains on
     * correctly, but not to the bits an uninterrupted run would have.
     */
    static void warnOnOtherKernels(JsonNode checkpoint, List<Map<String, Object>> now, RunDirectory run, long step) {
        Set<String> before = new TreeSet<>();
        checkpoint.path("jvms").forEach(j -> before.add(j.path("openblas_core").asText()));
        Set<String> after = new TreeSet<>();
        now.forEach(j -> after.add(String.valueOf(j.get("openblas_core"))));
        if (!before.isEmpty() && !before.equals(after)) {
            LOG.warn("train: resuming {} on JVMs whose OpenBLAS runs the {} kernels, but the steps up to its checkpoint"
                    + " at step {} ran with {}; training goes on correctly, but the run will not end bit-identical to"
                    + " an uninterrupted one (OPENBLAS_CORETYPE set the same everywhere keeps the kernels)",
                    run.root(), after, step, before);
        }
    }

    /**
     * The networks' normalisation as the checkpoint recorded it against the configured one (a
     * checkpoint written before it was recorded is not checked: then only batch norm or none existed,
     * which {@link #requireSameModel} tells apart by the parameter count).
     */
    static void requireSameNormalisation(JsonNode checkpoint, String configured, RunDirectory run, long step) {
        String recorded = checkpoint.path("normalisation").asText("");
        if (!recorded.isEmpty() && !recorded.equals(configured)) {
            throw new TrainingException("cannot resume " + run.root() + ": its checkpoint at step " + step
                    + " was trained with " + recorded + ", the model configured now has " + configured
                    + "; resume with the run's own settings (its run.conf) or start over with --fresh", step);
        }
    }

    /**
     * A translation's direction as the checkpoint recorded it against the configured one: not part of
     * the dataset's bytes or the parameter count, so neither check below would see G, trained to map
     * A to B, set to map B to A.
     */
    static void requireSameDirection(JsonNode checkpoint, String configured, RunDirectory run, long step) {
        String recorded = checkpoint.path("direction").asText("");
        if (!recorded.isEmpty() && !recorded.equals(configured)) {
            throw new TrainingException("cannot resume " + run.root() + ": its checkpoint at step " + step
                    + " was trained with data.direction = " + recorded + ", and " + configured + " is configured"
                    + " now; resume with the run's own settings (its run.conf) or start over with --fresh", step);
        }
    }

    /**
     * The dataset the checkpoint was trained on (its content hash, dataset_sha256 in state.json) against
     * the one data.shards holds now: the sample order and the images of every later step follow from
     * it, so a resume on another dataset is not the run it continues. A checkpoint trained on arrays in
     * memory (no hash) is not checked.
     */
    static void requireSameDataset(JsonNode checkpoint, DatasetInfo now, String shards, RunDirectory run, long step) {
        String recorded = checkpoint.path("dataset_sha256").asText("");
        if (!recorded.isEmpty() && now != null && !recorded.equals(now.contentSha256())) {
            throw new TrainingException("cannot resume " + run.root() + ": its checkpoint at step " + step + " was"
                    + " trained on the dataset whose content SHA-256 is " + recorded + " (dataset_sha256 in its"
                    + " state.json), and " + shards + " now holds another (" + now.contentSha256() + ", " + now.count()
                    + " images, prepared " + now.createdAt() + "). A run resumes only on the dataset it was trained"
                    + " on: point data.shards at a folder that holds it, or start the run over with --fresh (or train"
                    + " another run.id)", step);
        }
    }

    static void requireSameModel(GanState state, GanReplica replica, RunDirectory run, long step) {
        if (state.generator().length != replica.generatorLayout().size()
                || state.discriminator().length != replica.discriminatorLayout().size()) {
            throw new TrainingException("cannot resume " + run.root() + ": its checkpoint at step " + step + " holds "
                    + state.generator().length + " G + " + state.discriminator().length + " D parameters, the model"
                    + " configured now has " + replica.generatorLayout().size() + " + "
                    + replica.discriminatorLayout().size() + "; resume with the run's own settings (its run.conf) or"
                    + " start over with --fresh", step);
        }
    }
}

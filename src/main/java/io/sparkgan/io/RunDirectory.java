package io.sparkgan.io;

import java.io.IOException;
import java.util.Locale;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * The layout of one run directory, {@code <output.dir>/<run.id>/}:
 * <pre>
 *   run.conf                    resolved configuration, secrets redacted
 *   provenance.json             code and library versions, dataset hash, seed, start time
 *   metrics.jsonl               one JSON object per logged step
 *   samples/step-00001000.png   sample grid from fixed noise, marked synthetic
 *   checkpoints/step-00001000/  G, D, optimiser and trainer state (see train.Checkpoint)
 *   fid/                        FID statistics and reports
 *   _SUCCESS                    written when the run finished
 * </pre>
 * Step numbers count completed generator steps.
 */
public final class RunDirectory {
    private final Path root;

    public RunDirectory(Path root) {
        this.root = root;
    }

    public static RunDirectory of(String outputDir, String runId) {
        return new RunDirectory(new Path(Storage.qualify(outputDir), runId));
    }

    public static String stepName(long step) {
        return String.format(Locale.ROOT, "step-%08d", step);
    }

    public Path root() {
        return root;
    }

    public Path runConf() {
        return new Path(root, "run.conf");
    }

    public Path provenance() {
        return new Path(root, "provenance.json");
    }

    public Path metrics() {
        return new Path(root, "metrics.jsonl");
    }

    public Path samples() {
        return new Path(root, "samples");
    }

    public Path sample(long step) {
        return new Path(samples(), stepName(step) + ".png");
    }

    public Path checkpoints() {
        return new Path(root, "checkpoints");
    }

    public Path checkpoint(long step) {
        return new Path(checkpoints(), stepName(step));
    }

    public Path fid() {
        return new Path(root, "fid");
    }

    public Path success() {
        return new Path(root, "_SUCCESS");
    }

    /** Whether {@code name} is a step directory's or file's base name, {@code step-NNNNNNNN}. */
    public static boolean isStepName(String name) {
        return name.matches("step-\\d{8,}");
    }

    /** The step of a {@code step-NNNNNNNN} name. */
    public static long stepOf(String name) {
        return Long.parseLong(name.substring("step-".length()));
    }

    /** Empties the run directory but for its lease (which the caller holds): a new attempt's start. */
    public void clearExceptLease(Storage storage) throws IOException {
        for (FileStatus entry : storage.list(root)) {
            if (!entry.getPath().getName().equals(DirectoryLease.DIR)) {
                storage.delete(entry.getPath());
            }
        }
    }
}

package io.sparkgan.io;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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
 *   checkpoints/step-00001000/  G, D, optimiser and trainer state; _COMMITTED written last
 *   fid/                        FID statistics and reports
 *   _SUCCESS                    written when the run finished
 * </pre>
 * Step numbers count completed generator steps.
 */
public final class RunDirectory {
    public static final String COMMIT_MARKER = "_COMMITTED";

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

    /**
     * Steps of the committed checkpoints, oldest first. A checkpoint directory without its
     * {@link #COMMIT_MARKER} is incomplete (its write was interrupted) and is not listed.
     */
    public List<Long> committedCheckpoints(Storage storage) throws IOException {
        List<Long> steps = new ArrayList<>();
        if (!storage.exists(checkpoints())) {
            return steps;
        }
        for (FileStatus status : storage.list(checkpoints())) {
            String name = status.getPath().getName();
            if (status.isDirectory() && name.matches("step-\\d{8,}")
                    && storage.exists(new Path(status.getPath(), COMMIT_MARKER))) {
                steps.add(Long.parseLong(name.substring("step-".length())));
            }
        }
        Collections.sort(steps);
        return steps;
    }
}

package io.sparkgan.train;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.io.Json;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes checkpoints a run no longer needs (train.keep-checkpoints): it keeps the newest K committed
 * ones and the committed one with the lowest FID in {@code fid/report.json}, and never the newest
 * committed one, which a resume needs. A checkpoint's {@code _COMMITTED} marker is deleted before its
 * files, so a deletion cut short leaves an uncommitted directory that every reader ignores, never a
 * committed checkpoint with files missing.
 */
final class CheckpointRetention {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointRetention.class);

    private CheckpointRetention() {
    }

    /** Applies the policy; returns the steps whose checkpoints were deleted. */
    static List<Long> apply(Storage storage, RunDirectory run, int keep) throws IOException {
        List<Long> deleted = new ArrayList<>();
        if (keep <= 0) {
            return deleted;
        }
        List<Long> committed = Checkpoint.committed(storage, run);
        if (committed.isEmpty()) {
            return deleted;
        }
        TreeSet<Long> kept = new TreeSet<>(committed.subList(Math.max(0, committed.size() - keep), committed.size()));
        OptionalLong best = bestFidStep(storage, run);
        if (best.isPresent() && committed.contains(best.getAsLong())) {
            kept.add(best.getAsLong());
        }
        long newest = committed.get(committed.size() - 1);
        for (FileStatus status : storage.list(run.checkpoints())) {
            String name = status.getPath().getName();
            if (!status.isDirectory() || !RunDirectory.isStepName(name)) {
                continue;
            }
            long step = RunDirectory.stepOf(name);
            boolean isCommitted = committed.contains(step);
            // an uncommitted directory older than the newest commit is a leftover of an interrupted
            // write or deletion; a newer one could be a write in progress and is left alone
            if (kept.contains(step) || (!isCommitted && step > newest)) {
                continue;
            }
            Checkpoint.delete(storage, status.getPath());
            deleted.add(step);
        }
        if (!deleted.isEmpty()) {
            LOG.info("train: deleted checkpoints {} (train.keep-checkpoints = {}{}); kept {}", deleted, keep,
                    best.isPresent() ? ", best FID at step " + best.getAsLong() : "", kept);
        }
        return deleted;
    }

    /** The step of the checkpoint with the lowest FID in the run's report, if it was scored. */
    static OptionalLong bestFidStep(Storage storage, RunDirectory run) throws IOException {
        Path report = new Path(run.fid(), "report.json");
        if (!storage.exists(report)) {
            return OptionalLong.empty();
        }
        JsonNode root;
        try {
            root = Json.parse(storage.readString(report));
        } catch (RuntimeException e) {
            LOG.warn("train: cannot read {} ({}); checkpoint retention keeps no best-FID checkpoint", report,
                    e.getMessage());
            return OptionalLong.empty();
        }
        long bestStep = -1;
        double bestFid = Double.POSITIVE_INFINITY;
        for (JsonNode row : root.path("checkpoints")) {
            double fid = row.path("fid").asDouble(Double.NaN);
            if (row.has("step") && Double.isFinite(fid) && fid < bestFid) {
                bestFid = fid;
                bestStep = row.path("step").asLong();
            }
        }
        return bestStep < 0 ? OptionalLong.empty() : OptionalLong.of(bestStep);
    }
}

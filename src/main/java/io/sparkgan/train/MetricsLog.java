package io.sparkgan.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import io.sparkgan.step.StepStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.Path;

/**
 * {@code metrics.jsonl}: one JSON object per logged step. S3 has no append, so the file is rewritten
 * whole (atomically) at most every few seconds and at every checkpoint; a reader always sees a
 * complete file of whole lines.
 */
final class MetricsLog {
    private static final long FLUSH_INTERVAL_NANOS = 10_000_000_000L;

    private final Storage storage;
    private final Path path;
    private final Runnable beforeWrite;
    private final List<String> lines = new ArrayList<>();
    private long lastFlush = System.nanoTime();
    private boolean dirty;

    /** A log written to {@code path}; {@code beforeWrite} runs before every write (the lease's check). */
    MetricsLog(Storage storage, Path path, Runnable beforeWrite) {
        this.storage = storage;
        this.path = path;
        this.beforeWrite = beforeWrite;
    }

    /**
     * The log of a resumed run: the lines up to {@code step}; later ones were logged after the
     * checkpoint the run resumes from, and those steps run again.
     */
    static MetricsLog resume(Storage storage, Path path, long step, Runnable beforeWrite) throws IOException {
        MetricsLog log = new MetricsLog(storage, path, beforeWrite);
        if (storage.exists(path)) {
            for (String line : storage.readString(path).split("\n")) {
                if (!line.isBlank() && Json.parse(line).path("step").asLong() <= step) {
                    log.lines.add(line);
                }
            }
        }
        log.dirty = true;
        log.flush();
        return log;
    }

    void append(StepStats s, double wallSeconds, int workers) {
        ObjectNode line = Json.object();
        line.put("step", s.step() + 1);
        number(line, "d_loss", s.discriminatorLoss());
        number(line, "d_penalty", s.discriminatorPenalty());
        number(line, "g_loss", s.generatorLoss());
        number(line, "d_real", s.realScore());
        number(line, "d_fake", s.fakeScore());
        number(line, "d_fake_after_update", s.fakeScoreAfter());
        number(line, "d_grad_norm", s.discriminatorGradNorm());
        number(line, "g_grad_norm", s.generatorGradNorm());
        line.put("d_updates_skipped", s.discriminatorSkipped());
        line.put("non_finite_skipped", s.nonFiniteSkipped());
        line.put("images_per_s", s.images() / (s.wallNanos() / 1e9));
        line.put("step_time_s", s.wallNanos() / 1e9);
        line.put("compute_s", s.cost().computeNanos() / 1e9);
        line.put("data_wait_s", s.cost().dataWaitNanos() / 1e9);
        line.put("sync_s", s.cost().syncNanos() / 1e9);
        line.put("broadcast_s", s.cost().broadcastNanos() / 1e9);
        line.put("sync_bytes", s.cost().bytes());
        line.put("update_s", s.updateNanos() / 1e9);
        line.put("workers", workers);
        line.put("wall_time_s", wallSeconds);
        lines.add(Json.line(line));
        dirty = true;
        if (System.nanoTime() - lastFlush > FLUSH_INTERVAL_NANOS) {
            flush();
        }
    }

    /** JSON has no NaN or infinity: a non-finite value (a skipped, diverged step) is written as null. */
    private static void number(ObjectNode line, String key, double value) {
        if (Double.isFinite(value)) {
            line.put(key, value);
        } else {
            line.putNull(key);
        }
    }

    void flush() {
        if (!dirty) {
            return;
        }
        beforeWrite.run();
        String text = String.join("\n", lines) + "\n";
        try {
            storage.writeString(path, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path + ": " + e.getMessage(), e);
        }
        lastFlush = System.nanoTime();
        dirty = false;
    }
}

package io.sparkgan.data;

import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepare's progress on the driver's console every few seconds while the executors work: images
 * done, rejects, rate and time left. The figures move as tasks (shards) finish.
 */
final class PrepareProgress implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PrepareProgress.class);
    private static final long EVERY_SECONDS = 10;

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sparkgan-prepare-progress");
        t.setDaemon(true);
        return t;
    });
    private final long started = System.nanoTime();

    /**
     * @param resumed the images (accepted or rejected) of shards an interrupted prepare completed
     */
    PrepareProgress(long total, int shards, long resumed, LongAccumulator images, LongAccumulator rejected) {
        timer.scheduleAtFixedRate(() -> report(total, shards, resumed, images.value(), rejected.value()),
                EVERY_SECONDS, EVERY_SECONDS, TimeUnit.SECONDS);
    }

    /** Counted as tasks finish; a retried task's first attempt may count too, so these are estimates. */
    private void report(long total, int shards, long resumed, long images, long rejected) {
        long now = images + rejected;
        long done = Math.min(total, resumed + now);
        double seconds = (System.nanoTime() - started) / 1e9;
        double rate = now / Math.max(1e-9, seconds);
        String left = now == 0 ? "?" : duration((total - done) / rate);
        LOG.info(String.format(Locale.ROOT, "prepare: %,d/%,d images (%d shards), %,d rejected, %,.0f images/s,"
                + " about %s left", done, total, shards, rejected, rate, left));
    }

    private static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? s / 3600 + "h" + (s % 3600) / 60 + "m" : s >= 60 ? s / 60 + "m" + s % 60 + "s" : s + "s";
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}

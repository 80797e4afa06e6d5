package io.sparkgan.data;

import java.io.IOException;
import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One worker's real images: its slice of every global batch of the {@link SampleOrder}, read from
 * the shards as training goes. Held as a cached RDD element on the executor for the whole run, so that
 * the windows it has read stay between rounds and jobs; if Spark drops it, it is made again and reads
 * what it needs again, with the same result.
 *
 * <p>Shards in memory ({@link ShardReader#inMemory}) are read image by image. Streamed shards are
 * read a window at a time: for every lane it reads, it holds the window in use and has the lane's next
 * window read on a background thread while the step computes, so at most two windows per lane are in
 * memory. A batch only waits when a read has not finished (the wait is returned, for metrics.jsonl),
 * or when it asks for a window out of turn (a rerun job, a resumed run), which is then read at once.
 */
public final class WorkerInput implements Serializable {
    private static final long IDLE_SECONDS = 30;

    private final int index;
    private final int workers;
    private final SampleOrder order;
    private final ShardReader reader;
    private final int swappedHalf;
    private transient Map<Integer, Lane> lanes;
    private transient ThreadPoolExecutor readAhead;

    public WorkerInput(int index, int workers, SampleOrder order, ShardReader reader) {
        this(index, workers, order, reader, 0);
    }

    /**
     * {@code swappedHalf}: for pairs read B first (data.direction = BtoA), the bytes of one half, whose two
     * halves every image of a batch has swapped; 0 reads records as stored.
     */
    public WorkerInput(int index, int workers, SampleOrder order, ShardReader reader, int swappedHalf) {
        if (order.globalBatch() % workers != 0) {
            throw new IllegalArgumentException("a global batch of " + order.globalBatch() + " does not split over "
                    + workers + " workers");
        }
        this.index = index;
        this.workers = workers;
        this.order = order;
        this.reader = reader;
        this.swappedHalf = swappedHalf;
    }

    /** The worker's number: its slice of each global batch, and its noise slots. */
    public int index() {
        return index;
    }

    /** Images this worker takes from each global batch. */
    public int batchSize() {
        return order.globalBatch() / workers;
    }

    public int pixelsPerImage() {
        return reader.pixelsPerImage();
    }

    /**
     * A worker's share of a global batch: uint8 CHW pixels and labels.
     *
     * @param waitNanos how long the batch waited for reads
     */
    public record RealBatch(byte[] images, int[] labels, int count, long waitNanos) {}

    /** Images [r·B/W, (r+1)·B/W) of global batch {@code t}. */
    public synchronized RealBatch batch(long t) {
        int size = batchSize();
        int pixels = reader.pixelsPerImage();
        byte[] images = new byte[size * pixels];
        int[] labels = new int[size];
        long waited = 0;
        if (reader.inMemory()) {
            long before = System.nanoTime();
            for (int i = 0; i < size; i++) {
                SampleOrder.Run record = order.locate(order.sample(t, index * size + i));
                read(record, images, labels, i);
            }
            return new RealBatch(swapHalves(images), labels, size, System.nanoTime() - before);
        }
        for (int i = 0; i < size; i++) {
            SampleOrder.Sample sample = order.sample(t, index * size + i);
            SampleOrder.Window window = order.window(sample);
            Lane lane = lanes().computeIfAbsent(sample.lane(), l -> new Lane());
            long before = System.nanoTime();
            Loaded loaded = lane.get(window);
            waited += System.nanoTime() - before;
            long k = sample.number() % order.laneLength(sample.lane()) - window.start();
            int at = window.shuffled(k);
            System.arraycopy(loaded.images, at * pixels, images, i * pixels, pixels);
            labels[i] = loaded.labels[at];
        }
        return new RealBatch(swapHalves(images), labels, size, waited);
    }

    private byte[] swapHalves(byte[] images) {
        if (swappedHalf > 0) {
            byte[] a = new byte[swappedHalf];
            for (int at = 0; at < images.length; at += 2 * swappedHalf) {
                System.arraycopy(images, at, a, 0, swappedHalf);
                System.arraycopy(images, at + swappedHalf, images, at, swappedHalf);
                System.arraycopy(a, 0, images, at + swappedHalf, swappedHalf);
            }
        }
        return images;
    }

    /** A window's images, read in shard-sequence order. */
    private record Loaded(SampleOrder.Window window, byte[] images, int[] labels) {}

    /** One lane's window in use and the read of its next one. */
    private final class Lane {
        private Loaded current;
        private SampleOrder.Window nextWindow;
        private Future<Loaded> next;

        Loaded get(SampleOrder.Window window) {
            if (current != null && current.window.sameAs(window)) {
                return current;
            }
            if (next != null && window.sameAs(nextWindow)) {
                current = await(next);
            } else {
                if (next != null) {
                    next.cancel(false);
                }
                current = null; // let it go before reading another
                current = load(window);
            }
            nextWindow = order.next(window);
            SampleOrder.Window ahead = nextWindow;
            next = readAhead().submit(() -> load(ahead));
            return current;
        }
    }

    private Loaded load(SampleOrder.Window window) {
        int pixels = reader.pixelsPerImage();
        byte[] images = new byte[window.length() * pixels];
        int[] labels = new int[window.length()];
        int at = 0;
        for (SampleOrder.Run run : order.runs(window)) {
            read(run, images, labels, at);
            at += run.count();
        }
        return new Loaded(window, images, labels);
    }

    private void read(SampleOrder.Run run, byte[] images, int[] labels, int at) {
        try {
            reader.read(run.shard(), run.first(), run.count(), images, labels, at);
        } catch (IOException e) {
            throw new DataException("cannot read records " + run.first() + ".." + (run.first() + run.count())
                    + " of shard " + run.shard() + " under " + reader.describe() + ": " + e.getMessage(), e);
        }
    }

    private static Loaded await(Future<Loaded> read) {
        try {
            return read.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for shard reads", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    private Map<Integer, Lane> lanes() {
        if (lanes == null) {
            lanes = new HashMap<>();
        }
        return lanes;
    }

    /** One daemon thread per worker, gone after {@value #IDLE_SECONDS} s without reads (a finished run). */
    private ThreadPoolExecutor readAhead() {
        if (readAhead == null) {
            String name = "sparkgan-read-ahead-" + index;
            // The factory must not hold this input: the pool outlives it by up to IDLE_SECONDS (its idle
            // thread holds the pool), and the windows would stay with it after the run let go.
            readAhead = new ThreadPoolExecutor(1, 1, IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                    r -> daemon(r, name));
            readAhead.allowCoreThreadTimeOut(true);
        }
        return readAhead;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread thread = new Thread(r, name);
        thread.setDaemon(true);
        return thread;
    }
}

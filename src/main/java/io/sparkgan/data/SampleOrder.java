package io.sparkgan.data;

import io.sparkgan.model.Noise;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The global order in which training sees the images: a pure function of the seed, the dataset's
 * shard sizes, the global batch and two settings (lanes, shuffle window), and of nothing about the
 * cluster. It is what makes a run the same for any number of workers with the same global batch, in
 * memory or stream mode, and resumable at any step.
 *
 * <p>Images are named by their <em>stored index</em>: their position when the shards are laid end to
 * end in dataset.json's order. Epoch e is built in three moves:
 * <ol>
 *   <li>the shards are permuted (seeded by seed and e), giving the epoch's <em>shard sequence</em>;</li>
 *   <li>that sequence is cut into {@link #lanes()} contiguous, near-equal parts, lane l taking
 *       positions [l·N/L, (l+1)·N/L);</li>
 *   <li>each lane's part is cut into windows of {@code windowImages} and each window shuffled
 *       (Fisher–Yates, seeded by seed, lane, e and the window's number).</li>
 * </ol>
 * Global batch t holds B/L images from each lane, lane 0's first: lane l's samples
 * [t·B/L, (t+1)·B/L), its epoch-e part repeating as its samples [e·len_l, (e+1)·len_l). Worker r of W
 * takes the batch's images [r·B/W, (r+1)·B/W), so when W divides L it reads only L/W lanes, each a
 * contiguous run of the shard sequence: its reads per epoch are 1/W of the dataset, in large ranges,
 * never every shard. The shuffle is what WebDataset and Mosaic StreamingDataset do (shard order, then
 * a bounded buffer), with lanes standing for Mosaic's "canonical nodes": they fix the order
 * independently of the number of machines that read it.
 *
 * <p>Every lane's epoch-e part covers its positions of the shard sequence once, so over the lanes'
 * epoch-e parts every image appears exactly once. Lanes' parts differ in length by at most one
 * image, so a lane may start its next epoch a batch before another.
 */
public final class SampleOrder implements Serializable {
    private static final long SHARD_ORDER = 0x5a4dL;
    private static final long WINDOW_ORDER = 0x3a1dL;

    private final long seed;
    private final boolean shuffle;
    private final long[] shardCounts;
    private final long[] shardStarts;
    private final long total;
    private final int lanes;
    private final int perLane;
    private final long windowImages;

    private transient EpochShards cachedEpoch;
    private transient EpochShards previousEpoch; // lanes near an epoch's end may be one epoch apart
    private transient Window[] cachedWindows;

    private SampleOrder(long seed, boolean shuffle, long[] shardCounts, int lanes, int perLane, long windowImages) {
        this.seed = seed;
        this.shuffle = shuffle;
        this.shardCounts = shardCounts.clone();
        this.shardStarts = new long[shardCounts.length + 1];
        for (int s = 0; s < shardCounts.length; s++) {
            shardStarts[s + 1] = shardStarts[s] + shardCounts[s];
        }
        this.total = shardStarts[shardCounts.length];
        this.lanes = lanes;
        this.perLane = perLane;
        this.windowImages = windowImages;
    }

    /**
     * The order of a dataset whose shards hold {@code shardCounts} images, for batches of
     * {@code globalBatch}: as many lanes as the largest divisor of the global batch that is at most
     * {@code maxLanes} and the image count.
     */
    public static SampleOrder of(long seed, boolean shuffle, long[] shardCounts, int globalBatch, int maxLanes,
                                 long windowImages) {
        long total = 0;
        for (long c : shardCounts) {
            total += c;
        }
        if (total < 1) {
            throw new DataException("the dataset has no images");
        }
        int lanes = 1;
        for (int d = 1; d <= Math.min(maxLanes, globalBatch); d++) {
            if (globalBatch % d == 0 && d <= total) {
                lanes = d;
            }
        }
        return new SampleOrder(seed, shuffle, shardCounts, lanes, globalBatch / lanes, Math.max(1, windowImages));
    }

    public int lanes() {
        return lanes;
    }

    /** Images each lane gives a global batch. */
    public int perLane() {
        return perLane;
    }

    public int globalBatch() {
        return lanes * perLane;
    }

    public long images() {
        return total;
    }

    public long windowImages() {
        return windowImages;
    }

    long[] shardCounts() {
        return shardCounts.clone();
    }

    /** Lane {@code lane}'s part of an epoch, in images. */
    public long laneLength(int lane) {
        return laneStart(lane + 1) - laneStart(lane);
    }

    private long laneStart(int lane) {
        return lane * total / lanes;
    }

    /** Which sample of which lane position {@code j} of global batch {@code t} is. */
    public Sample sample(long t, int j) {
        return new Sample(j / perLane, t * perLane + j % perLane);
    }

    /** Sample {@code number} of {@code lane} (counted over all epochs). */
    public record Sample(int lane, long number) {}

    /** The stored indices of global batch {@code t}. */
    public long[] batch(long t) {
        long[] out = new long[globalBatch()];
        for (int j = 0; j < out.length; j++) {
            out[j] = storedIndex(sample(t, j));
        }
        return out;
    }

    /** The stored index of one sample. */
    public long storedIndex(Sample sample) {
        Run run = locate(sample);
        return shardStarts[run.shard()] + run.first();
    }

    /** Which record of which shard one sample is (a run of one). */
    public Run locate(Sample sample) {
        Window window = window(sample);
        long k = sample.number() % laneLength(sample.lane()) - window.start();
        EpochShards shards = epoch(window.epoch());
        long position = window.sequenceStart() + window.shuffled(k);
        int slot = shards.slotOf(position);
        return new Run(shards.order[slot], position - shards.starts[slot], 1);
    }

    /**
     * One shuffle window of one lane and epoch: the shard sequence's positions
     * [sequenceStart, sequenceStart + length), read in that order, and the permutation that says
     * which of them is the window's k-th sample.
     */
    public record Window(int lane, long epoch, long number, long start, long sequenceStart, int length,
                         int[] permutation) {

        /** The position within the window (in shard-sequence order) of the window's k-th sample. */
        public int shuffled(long k) {
            return permutation == null ? (int) k : permutation[(int) k];
        }

        /** Whether {@code other} is the same window (not necessarily the same object). */
        public boolean sameAs(Window other) {
            return other != null && lane == other.lane && epoch == other.epoch && number == other.number;
        }
    }

    /** The window that holds {@code sample}. */
    public Window window(Sample sample) {
        long length = laneLength(sample.lane());
        long epoch = sample.number() / length;
        long within = sample.number() % length;
        return window(sample.lane(), epoch, within / windowImages);
    }

    /** The window after {@code w} in its lane: the next of its epoch, or the next epoch's first. */
    public Window next(Window w) {
        long windows = (laneLength(w.lane()) + windowImages - 1) / windowImages;
        return w.number() + 1 < windows ? window(w.lane(), w.epoch(), w.number() + 1) : window(w.lane(), w.epoch() + 1, 0);
    }

    private Window window(int lane, long epoch, long number) {
        Window[] cache = cachedWindows;
        if (cache == null) {
            cache = new Window[lanes];
            cachedWindows = cache;
        }
        Window cached = cache[lane];
        if (cached != null && cached.epoch() == epoch && cached.number() == number) {
            return cached;
        }
        Window fresh = shuffledWindow(lane, epoch, number);
        cache[lane] = fresh; // racy but safe, as with the epoch's shard order
        return fresh;
    }

    private Window shuffledWindow(int lane, long epoch, long number) {
        long start = number * windowImages;
        int length = (int) Math.min(windowImages, laneLength(lane) - start);
        int[] permutation = shuffle ? permutation(length, Noise.seed(seed, WINDOW_ORDER, lane, epoch, number)) : null;
        return new Window(lane, epoch, number, start, laneStart(lane) + start, length, permutation);
    }

    /**
     * Where the window's images are stored, in shard-sequence order: runs of consecutive records,
     * one per shard it touches.
     */
    public List<Run> runs(Window w) {
        EpochShards shards = epoch(w.epoch());
        List<Run> runs = new ArrayList<>();
        long position = w.sequenceStart();
        long end = position + w.length();
        int slot = shards.slotOf(position);
        while (position < end) {
            int shard = shards.order[slot];
            long offset = position - shards.starts[slot];
            int count = (int) Math.min(end - position, shardCounts[shard] - offset);
            if (count > 0) {
                runs.add(new Run(shard, offset, count));
            }
            position += count;
            slot++;
        }
        return runs;
    }

    /** Records [first, first + count) of shard {@code shard} (its index in dataset.json's list). */
    public record Run(int shard, long first, int count) {}

    /** An epoch's shard sequence: shards in their permuted order and where each starts in it. */
    private static final class EpochShards {
        final long epoch;
        final int[] order;
        final long[] starts;

        EpochShards(long epoch, int[] order, long[] counts) {
            this.epoch = epoch;
            this.order = order;
            this.starts = new long[order.length + 1];
            for (int i = 0; i < order.length; i++) {
                starts[i + 1] = starts[i] + counts[order[i]];
            }
        }

        /** The slot of the shard that holds position p (the last slot whose start is ≤ p, skipping empties). */
        int slotOf(long p) {
            int lo = 0;
            int hi = order.length - 1;
            while (lo < hi) {
                int mid = (lo + hi + 1) >>> 1;
                if (starts[mid] <= p) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            return lo;
        }
    }

    private EpochShards epoch(long epoch) {
        EpochShards cached = cachedEpoch;
        if (cached != null && cached.epoch == epoch) {
            return cached;
        }
        EpochShards previous = previousEpoch;
        if (previous != null && previous.epoch == epoch) {
            return previous;
        }
        int[] order = shuffle ? permutation(shardCounts.length, Noise.seed(seed, SHARD_ORDER, epoch))
                : permutation(shardCounts.length, null);
        EpochShards fresh = new EpochShards(epoch, order, shardCounts);
        previousEpoch = cached;
        cachedEpoch = fresh; // racy but safe: any thread's copy is the same function of the epoch
        return fresh;
    }

    /** 0 … n−1 shuffled by Fisher–Yates from {@code seed}, or in order when it is null. */
    private static int[] permutation(int n, Long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        if (seed != null) {
            SplittableRandom random = new SplittableRandom(seed);
            for (int i = n - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int swap = p[i];
                p[i] = p[j];
                p[j] = swap;
            }
        }
        return p;
    }
}

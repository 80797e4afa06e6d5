package io.sparkgan.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The global sample order on its own (no Spark): a permutation per epoch, the same for the same seed,
 * the same batches for any number of workers, read in 1/W per worker, and shuffled about as well as
 * its windows allow.
 */
class SampleOrderTest {
    /** Uneven shards, as a dataset with rejects has them. */
    private static final long[] SHARDS = {100, 100, 100, 37, 100, 100, 100, 83};
    private static final int TOTAL = 720;

    @Test
    void everyEpochIsAPermutationOfTheDataset() {
        SampleOrder order = SampleOrder.of(7, true, SHARDS, 32, 16, 30);
        assertEquals(16, order.lanes());
        long[] first = epoch(order, 0);
        long[] second = epoch(order, 1);
        assertArrayEquals(range(TOTAL), sorted(first), "epoch 0 holds every image once");
        assertArrayEquals(range(TOTAL), sorted(second), "epoch 1 holds every image once");
        assertFalse(Arrays.equals(first, second), "each epoch is shuffled anew");
        assertFalse(Arrays.equals(range(TOTAL), first), "shuffled");
        assertArrayEquals(first, epoch(SampleOrder.of(7, true, SHARDS, 32, 16, 30), 0), "same seed, same order");
        assertFalse(Arrays.equals(first, epoch(SampleOrder.of(8, true, SHARDS, 32, 16, 30), 0)), "other seed");
        SampleOrder stored = SampleOrder.of(7, false, SHARDS, 32, 16, 30);
        assertArrayEquals(range(TOTAL), epoch(stored, 0), "train.shuffle = false: each lane in stored order");
        assertArrayEquals(epoch(stored, 0), epoch(stored, 3));
    }

    @Test
    void lanesAreTheLargestDivisorOfTheGlobalBatchWithinTheSetting() {
        assertEquals(16, SampleOrder.of(1, true, SHARDS, 64, 16, 10).lanes());
        assertEquals(6, SampleOrder.of(1, true, SHARDS, 12, 8, 10).lanes());
        assertEquals(1, SampleOrder.of(1, true, SHARDS, 7, 4, 10).lanes());
        assertEquals(5, SampleOrder.of(1, true, new long[] {5}, 20, 16, 10).lanes(), "never more than the images");
    }

    /** Exactly once over a dataset of 2 million images in 256 shards: epoch 0, then epoch 1's start. */
    @Test
    void aLargeDatasetIsCoveredOncePerEpoch() {
        long[] shards = new long[256];
        Arrays.fill(shards, 8_000);
        shards[255] = 3_217;
        SampleOrder order = SampleOrder.of(3, true, shards, 256, 16, 2_000);
        int total = (int) order.images();
        java.util.BitSet seen = new java.util.BitSet(total);
        for (int lane = 0; lane < order.lanes(); lane++) {
            for (long q = 0; q < order.laneLength(lane); q++) {
                long stored = order.storedIndex(new SampleOrder.Sample(lane, q));
                assertFalse(seen.get((int) stored), "image " + stored + " twice in epoch 0");
                seen.set((int) stored);
            }
        }
        assertEquals(total, seen.cardinality());
    }

    @Test
    void workersOfAnyNumberTogetherTakeTheSameBatches() {
        ArrayShards shards = numbered(SHARDS);
        SampleOrder order = SampleOrder.of(11, true, SHARDS, 32, 16, 30);
        for (boolean streamed : new boolean[] {false, true}) {
            ShardReader reader = streamed ? streamed(shards, new AtomicLong()) : shards;
            for (int workers : new int[] {1, 2, 4, 32}) {
                WorkerInput[] inputs = new WorkerInput[workers];
                for (int r = 0; r < workers; r++) {
                    inputs[r] = new WorkerInput(r, workers, order, reader);
                }
                for (long t : new long[] {0, 1, 2, 30, 31, 29, 60}) { // across epochs, and back (a rerun job)
                    long[] together = new long[32];
                    int at = 0;
                    for (WorkerInput input : inputs) {
                        for (long index : numbers(input.batch(t))) {
                            together[at++] = index;
                        }
                    }
                    assertArrayEquals(order.batch(t), together, workers + " workers, batch " + t
                            + (streamed ? ", streamed" : ", in memory"));
                }
            }
        }
    }

    /** Each worker reads its lanes only: 1/W of the dataset per epoch, whatever the window. */
    @Test
    void aStreamingWorkerReadsItsShareOfTheDataset() {
        long[] shards = new long[40];
        Arrays.fill(shards, 250);
        ArrayShards numbered = numbered(shards);
        int total = 10_000;
        int workers = 4;
        SampleOrder order = SampleOrder.of(5, true, shards, 64, 16, 300);
        long batchesPerEpoch = total / 64;
        for (int r = 0; r < workers; r++) {
            AtomicLong read = new AtomicLong();
            WorkerInput input = new WorkerInput(r, workers, order, streamed(numbered, read));
            for (long t = 0; t < batchesPerEpoch; t++) {
                input.batch(t);
            }
            // its lanes' images, plus the read-ahead of each lane's next window (the next epoch's)
            long share = total / workers;
            long readAhead = (long) order.lanes() / workers * order.windowImages();
            assertTrue(read.get() >= share && read.get() <= share + readAhead,
                    "worker " + r + " read " + read.get() + " images in an epoch; its share is " + share);
        }
    }

    /**
     * How often neighbours in the order come from the same shard, against what the windows' make-up
     * predicts: a pair within one lane's block is two draws without replacement from its window; a
     * pair across lanes comes from disjoint parts of the shard sequence.
     */
    @Test
    void neighboursComeFromTheSameShardAsOftenAsTheWindowsPredict() {
        long[] shards = new long[64];
        Arrays.fill(shards, 500);
        SampleOrder order = SampleOrder.of(9, true, shards, 64, 8, 1_500);
        long same = 0;
        long pairs = 0;
        double expected = 0;
        long batches = 32_000 / 64;
        for (long t = 0; t < batches; t++) {
            long[] batch = order.batch(t);
            for (int j = 0; j + 1 < batch.length; j++) {
                pairs++;
                if (batch[j] / 500 == batch[j + 1] / 500) {
                    same++;
                }
                if (j % order.perLane() != order.perLane() - 1) {
                    SampleOrder.Window w = order.window(order.sample(t, j));
                    double p = 0;
                    for (SampleOrder.Run run : order.runs(w)) {
                        p += (double) run.count() / w.length() * (run.count() - 1) / (w.length() - 1);
                    }
                    expected += p;
                }
            }
        }
        double observed = (double) same / pairs;
        double predicted = expected / pairs;
        assertEquals(predicted, observed, 0.02, "same-shard neighbours: observed " + observed + ", predicted "
                + predicted);
        assertTrue(observed < 0.35, "windows of three shards: about 1/3 within a lane block, less overall");

        SampleOrder stored = SampleOrder.of(9, false, shards, 64, 8, 1_500);
        long sameStored = 0;
        for (long t = 0; t < batches; t++) {
            long[] batch = stored.batch(t);
            for (int j = 0; j + 1 < batch.length; j++) {
                sameStored += batch[j] / 500 == batch[j + 1] / 500 ? 1 : 0;
            }
        }
        assertTrue((double) sameStored / pairs > 0.8, "unshuffled, a lane block is one shard's run");
    }

    /** Images whose four pixels are their stored index (little-endian), unlabelled. */
    static ArrayShards numbered(long[] shardCounts) {
        int total = (int) Arrays.stream(shardCounts).sum();
        byte[] images = new byte[total * 4];
        int[] labels = new int[total];
        for (int i = 0; i < total; i++) {
            images[4 * i] = (byte) i;
            images[4 * i + 1] = (byte) (i >>> 8);
            images[4 * i + 2] = (byte) (i >>> 16);
            images[4 * i + 3] = (byte) (i >>> 24);
            labels[i] = i % 10;
        }
        return new ArrayShards(images, labels, shardCounts, 4);
    }

    /** The stored indices a batch of {@link #numbered} images holds. */
    static long[] numbers(WorkerInput.RealBatch batch) {
        long[] out = new long[batch.count()];
        byte[] b = batch.images();
        for (int i = 0; i < out.length; i++) {
            out[i] = (b[4 * i] & 0xff) | (b[4 * i + 1] & 0xff) << 8 | (b[4 * i + 2] & 0xff) << 16
                    | (long) (b[4 * i + 3] & 0xff) << 24;
            assertEquals(out[i] % 10, batch.labels()[i], "the label travels with its image");
        }
        return out;
    }

    /** {@code shards} read as a streaming reader (windows, read-ahead), counting the images it reads. */
    static ShardReader streamed(ArrayShards shards, AtomicLong imagesRead) {
        return new ShardReader() {
            @Override
            public long[] shardCounts() {
                return shards.shardCounts();
            }

            @Override
            public int pixelsPerImage() {
                return shards.pixelsPerImage();
            }

            @Override
            public void read(int shard, long first, int count, byte[] images, int[] labels, int at) throws IOException {
                imagesRead.addAndGet(count);
                shards.read(shard, first, count, images, labels, at);
            }

            @Override
            public String describe() {
                return "streamed test shards";
            }
        };
    }

    private static long[] epoch(SampleOrder order, long epoch) {
        long[] out = new long[(int) order.images()];
        int at = 0;
        for (int lane = 0; lane < order.lanes(); lane++) {
            long length = order.laneLength(lane);
            for (long q = 0; q < length; q++) {
                out[at++] = order.storedIndex(new SampleOrder.Sample(lane, epoch * length + q));
            }
        }
        return out;
    }

    private static long[] sorted(long[] a) {
        long[] s = a.clone();
        Arrays.sort(s);
        return s;
    }

    private static long[] range(int n) {
        long[] r = new long[n];
        for (int i = 0; i < n; i++) {
            r[i] = i;
        }
        return r;
    }
}

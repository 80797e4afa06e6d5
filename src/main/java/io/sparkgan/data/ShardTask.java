package io.sparkgan.data;

import io.sparkgan.io.Npy;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.util.LongAccumulator;

/**
 * One task of prepare, on an executor: loads the source ids of one shard (reading, decoding,
 * validating and resizing them: {@link SourceSlice}), and writes the accepted images as that shard,
 * straight to data.shards. A retried or speculative attempt writes the same bytes under the same
 * name, through a temporary file and a rename (one PUT on object stores), so no attempt leaves a
 * partial or duplicate shard; what a killed attempt's temporary file leaves, the driver removes
 * before it commits ({@link Preparer}).
 */
final class ShardTask {
    private ShardTask() {
    }

    /** Where tests fail an attempt on purpose, before it writes its shard; null outside tests. */
    interface Fault {
        void beforeWrite(int shard, int attempt, Path file) throws IOException;
    }

    static volatile Fault fault;

    /** Shard {@code index}: source ids [index·n, index·n + ids), shipped as a slice of the source. */
    record Work(int index, SourceSlice slice, int ids) implements Serializable {}

    /**
     * What a task reports to the driver.
     *
     * @param shard the shard written, or null when no id of the range was accepted
     * @param failure what spoilt the whole source (a damaged idx file), or null
     */
    record Result(int index, DatasetInfo.Shard shard, long[] labelCounts, List<Reject> rejects, String failure)
            implements Serializable {}

    /** The layout every task writes: where, the images' shape, and the prepare it belongs to. */
    record Layout(String dir, int channels, int size, int classes, String fingerprint) implements Serializable {
        int recordBytes() {
            return 4 + channels * size * size;
        }
    }

    static Result run(Work work, Storage storage, Layout layout, LongAccumulator images, LongAccumulator rejected) {
        int recordBytes = layout.recordBytes();
        List<Reject> rejects = new ArrayList<>();
        long[] labelCounts = new long[Math.max(1, layout.classes())];
        byte[] records;
        try {
            records = new byte[Math.multiplyExact(work.ids(), recordBytes)];
        } catch (OutOfMemoryError e) {
            return failed(work, outOfMemory(work, recordBytes));
        }
        ByteBuffer buffer = ByteBuffer.wrap(records).order(ByteOrder.LITTLE_ENDIAN);
        try {
            work.slice().load(storage, prepared -> {
                if (prepared instanceof Reject reject) {
                    rejects.add(reject);
                } else {
                    ImageRecord image = (ImageRecord) prepared;
                    buffer.putInt(image.label()).put(image.pixels());
                    if (image.label() >= 0 && image.label() < labelCounts.length) {
                        labelCounts[image.label()]++;
                    }
                }
            });
        } catch (DataException e) {
            return failed(work, e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("prepare: shard " + work.index() + ": " + e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            return failed(work, outOfMemory(work, recordBytes));
        }
        int count = buffer.position() / recordBytes;
        images.add(count);
        rejected.add(rejects.size());
        String file = Shards.fileName(work.index());
        try {
            Fault injected = fault;
            if (injected != null) {
                injected.beforeWrite(work.index(), TaskContext.get().attemptNumber(), new Path(layout.dir(), file));
            }
            DatasetInfo.Shard shard = null;
            if (count > 0) {
                String sha = Shards.write(storage, new Path(layout.dir(), file), records, count, layout.channels(),
                        layout.size());
                long bytes = Npy.header(Shards.dtype(layout.channels(), layout.size()), count).length
                        + (long) count * recordBytes;
                shard = new DatasetInfo.Shard(work.index(), file, count, bytes, sha);
            }
            Result result = new Result(work.index(), shard, labelCounts, rejects, null);
            ShardRecords.write(storage, new Path(layout.dir()), layout.fingerprint(), result);
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException("prepare: cannot write " + new Path(layout.dir(), file) + ": "
                    + e.getMessage(), e);
        }
    }

    private static Result failed(Work work, String failure) {
        return new Result(work.index(), null, new long[0], List.of(), failure);
    }

    private static String outOfMemory(Work work, int recordBytes) {
        return String.format(Locale.ROOT, "prepare: the task for shard %d ran out of memory holding its shard (%,d"
                + " images of %,d bytes, %.0f MB) in a heap of %.0f MB: lower data.shard-size, or give the executors"
                + " more memory (spark.executor.memory; with a local master the driver's: --driver-memory, or -Xmx)",
                work.index(), work.ids(), recordBytes, work.ids() * (double) recordBytes / 1e6,
                Runtime.getRuntime().maxMemory() / 1e6);
    }
}

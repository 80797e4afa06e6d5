package io.sparkgan.data;

import io.sparkgan.io.Npy;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.lang.ref.SoftReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.fs.Path;

/**
 * A prepared dataset's shards on a Hadoop filesystem, read in one of two ways (data.cache):
 * <ul>
 *   <li><b>stream</b>: each run of records is a positional read of exactly its bytes (header + i ×
 *       record bytes, {@link Shards}), in pieces of at most {@value #PIECE_BYTES} bytes so that a read
 *       never needs more than its destination. The first read of a shard checks its header and
 *       length against dataset.json; its SHA-256 is not checked, since that would read the whole
 *       shard, which a worker streaming a few lanes never does.</li>
 *   <li><b>memory</b>: a shard is read whole the first time any worker of this JVM needs it, checked
 *       against its SHA-256, and kept for the JVM's life (softly: the garbage collector drops it
 *       before running out of memory, and it is read again when next needed). Workers on one executor
 *       share one copy.</li>
 * </ul>
 * Both give the same records, so the mode never changes a run.
 */
public final class StoredShards implements ShardReader {
    private static final int PIECE_BYTES = 1 << 20;
    /** Whole shards kept in memory mode, by path and SHA-256 (a re-prepared shard is another key). */
    private static final Map<String, SoftReference<Shards.Content>> KEPT = new ConcurrentHashMap<>();
    private static final Map<String, Object> LOADING = new ConcurrentHashMap<>();

    private final Storage storage;
    private final String dir;
    private final DatasetInfo info;
    private final boolean inMemory;
    private transient Map<Integer, Boolean> checked;
    private transient String[] keptKeys; // memory mode's cache keys, made once rather than per image

    public StoredShards(Storage storage, String dir, DatasetInfo info, boolean inMemory) {
        this.storage = storage;
        this.dir = Storage.qualify(dir).toString();
        this.info = info;
        this.inMemory = inMemory;
    }

    @Override
    public boolean inMemory() {
        return inMemory;
    }

    @Override
    public long[] shardCounts() {
        return info.shards().stream().mapToLong(DatasetInfo.Shard::count).toArray();
    }

    @Override
    public int pixelsPerImage() {
        return info.channels() * info.size() * info.size();
    }

    @Override
    public String describe() {
        return dir + (inMemory ? " (kept in memory)" : " (streamed)");
    }

    @Override
    public void read(int shard, long first, int count, byte[] images, int[] labels, int at) {
        try {
            readRecords(shard, first, count, images, labels, at);
        } catch (IOException e) {
            // after Spark's retries this is what the user reads: name the file, in one line
            throw new DataException("cannot read records " + first + ".." + (first + count) + " of shard "
                    + new Path(dir, info.shards().get(shard).file()) + ": " + (e.getMessage() == null ? e.toString()
                    : e.getMessage().lines().findFirst().orElse("")) + " (data.shards must be readable from every"
                    + " executor)", e);
        }
    }

    private void readRecords(int shard, long first, int count, byte[] images, int[] labels, int at)
            throws IOException {
        if (inMemory) {
            Shards.Content content = kept(shard);
            int pixels = pixelsPerImage();
            System.arraycopy(content.images(), (int) (first * pixels), images, at * pixels, count * pixels);
            System.arraycopy(content.labels(), (int) first, labels, at, count);
            return;
        }
        DatasetInfo.Shard s = info.shards().get(shard);
        Path path = new Path(dir, s.file());
        int headerBytes = checkHeader(shard, path);
        int pixels = pixelsPerImage();
        int recordBytes = 4 + pixels;
        int perPiece = Math.max(1, PIECE_BYTES / recordBytes);
        byte[] piece = new byte[Math.min(count, perPiece) * recordBytes];
        ByteBuffer little = ByteBuffer.wrap(piece).order(ByteOrder.LITTLE_ENDIAN);
        for (int done = 0; done < count; ) {
            int n = Math.min(perPiece, count - done);
            storage.readRange(path, headerBytes + (first + done) * recordBytes, piece, 0, n * recordBytes);
            for (int i = 0; i < n; i++) {
                labels[at + done + i] = little.getInt(i * recordBytes);
                System.arraycopy(piece, i * recordBytes + 4, images, (at + done + i) * pixels, pixels);
            }
            done += n;
        }
    }

    /** Checks a shard's header and length once per reader; returns the header's length. */
    private int checkHeader(int shard, Path path) throws IOException {
        DatasetInfo.Shard s = info.shards().get(shard);
        byte[] expected = Npy.header(Shards.dtype(info.channels(), info.size()), s.count());
        Map<Integer, Boolean> seen = checked;
        if (seen == null) {
            seen = new ConcurrentHashMap<>();
            checked = seen;
        }
        if (seen.containsKey(shard)) {
            return expected.length;
        }
        long length = storage.length(path);
        byte[] header = new byte[expected.length];
        if (length == s.bytes() && length >= expected.length) {
            storage.readRange(path, 0, header, 0, header.length);
        }
        if (length != s.bytes() || !Arrays.equals(header, expected)) {
            throw new DataException("shard " + path + " is not the one dataset.json describes (" + length
                    + " bytes, dataset.json says " + s.bytes() + " bytes of " + s.count() + " records of "
                    + Shards.dtype(info.channels(), info.size()) + "); run prepare again");
        }
        seen.put(shard, true);
        return expected.length;
    }

    private Shards.Content kept(int shard) throws IOException {
        DatasetInfo.Shard s = info.shards().get(shard);
        String[] keys = keptKeys;
        if (keys == null) {
            keys = info.shards().stream().map(x -> dir + "/" + x.file() + "#" + x.sha256()).toArray(String[]::new);
            keptKeys = keys;
        }
        String key = keys[shard];
        SoftReference<Shards.Content> ref = KEPT.get(key);
        Shards.Content content = ref == null ? null : ref.get();
        if (content != null) {
            return content;
        }
        synchronized (LOADING.computeIfAbsent(key, k -> new Object())) {
            ref = KEPT.get(key);
            content = ref == null ? null : ref.get();
            if (content == null) {
                content = Shards.read(storage, new Path(dir), s, info.channels(), info.size());
                KEPT.put(key, new SoftReference<>(content));
            }
            return content;
        }
    }
}

package io.sparkgan.data;

import io.sparkgan.io.Storage;
import java.io.IOException;
import java.lang.ref.SoftReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * A prepared dataset's shards on a Hadoop filesystem, read in one of two ways (data.cache):
 * <ul>
 *   <li><b>stream</b>: each run of records is a positional read of exactly its bytes (header + i ×
 *       record bytes, {@link Shards}), in pieces of at most {@value #PIECE_BYTES} bytes so that a read
 *       never needs more than its destination. Every read checks the file against what the job
 *       recorded when it started, and a shard read front to back is hashed ({@link ShardChecks}).</li>
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
    private final String dataset;
    private final Map<String, Long> modifiedAt;
    private transient ShardChecks checks;
    private transient String[] keptKeys; // memory mode's cache keys, made once rather than per image

    /** A reader of the shards in {@code dir} as dataset.json ({@code info}) describes them. */
    public StoredShards(Storage storage, String dir, DatasetInfo info, boolean inMemory) {
        this(storage, dir, info, inMemory, Storage.qualify(dir).toString(), Map.of());
    }

    private StoredShards(Storage storage, String dir, DatasetInfo info, boolean inMemory, String dataset,
                         Map<String, Long> modifiedAt) {
        this.storage = storage;
        this.dir = Storage.qualify(dir).toString();
        this.info = info;
        this.inMemory = inMemory;
        this.dataset = dataset;
        this.modifiedAt = modifiedAt;
    }

    /**
     * A reader of {@code dataset} that holds every shard it reads to the dataset as it is now: its
     * files' lengths (checked against dataset.json here) and modification times.
     */
    public static StoredShards of(Storage storage, PreparedDataset dataset, boolean inMemory) throws IOException {
        Map<String, FileStatus> files = new HashMap<>();
        for (FileStatus f : storage.list(dataset.dirPath())) {
            files.put(f.getPath().getName(), f);
        }
        Map<String, Long> modifiedAt = new HashMap<>();
        ShardChecks checks = new ShardChecks(storage, dataset.dirPath(), dataset.info(), dataset.describe(), Map.of());
        for (int k = 0; k < dataset.info().shards().size(); k++) {
            DatasetInfo.Shard s = dataset.info().shards().get(k);
            FileStatus f = files.get(s.file());
            if (f == null || f.getLen() != s.bytes()) {
                checks.open(k); // names what is wrong; if nothing is (the listing was behind), the file's own status
                f = storage.status(new Path(dataset.dirPath(), s.file()));
            }
            modifiedAt.put(s.file(), f.getModificationTime());
        }
        return new StoredShards(storage, dataset.dir(), dataset.info(), inMemory, dataset.describe(),
                Map.copyOf(modifiedAt));
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
        ShardChecks check = checks();
        int headerBytes = check.open(shard);
        int pixels = pixelsPerImage();
        int recordBytes = 4 + pixels;
        int perPiece = Math.max(1, PIECE_BYTES / recordBytes);
        byte[] piece = new byte[Math.min(count, perPiece) * recordBytes];
        ByteBuffer little = ByteBuffer.wrap(piece).order(ByteOrder.LITTLE_ENDIAN);
        for (int done = 0; done < count; ) {
            int n = Math.min(perPiece, count - done);
            storage.readRange(path, headerBytes + (first + done) * recordBytes, piece, 0, n * recordBytes);
            check.read(shard, first + done, n, piece, n * recordBytes);
            for (int i = 0; i < n; i++) {
                labels[at + done + i] = little.getInt(i * recordBytes);
                System.arraycopy(piece, i * recordBytes + 4, images, (at + done + i) * pixels, pixels);
            }
            done += n;
        }
    }

    private synchronized ShardChecks checks() {
        ShardChecks c = checks;
        if (c == null) {
            c = new ShardChecks(storage, new Path(dir), info, dataset, modifiedAt);
            checks = c;
        }
        return c;
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

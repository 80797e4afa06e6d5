package io.sparkgan.data;

import io.sparkgan.io.Npy;
import io.sparkgan.io.Storage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * What a streaming reader checks of the shards it reads, against what its job recorded when it started
 * (dataset.json's lengths, headers and SHA-256s, and each file's modification time):
 * <ul>
 *   <li>every open: the file's length and modification time (one status call, no data), so a shard
 *       truncated or rewritten under the job stops it at its next read, before a changed byte is used;</li>
 *   <li>a shard's first open in this JVM: its npy header;</li>
 *   <li>a shard read front to back (a lane crossing it whole, once per epoch): the SHA-256 of its bytes,
 *       folded in as they are read, on the read-ahead thread, and compared when its last record is in.
 *       A shard read in pieces out of order (lanes that split it, a rerun job) is not hashed that time.</li>
 * </ul>
 * Any mismatch is a {@link DatasetChangedException} naming the shard and what changed.
 */
final class ShardChecks {
    private final Storage storage;
    private final Path dir;
    private final DatasetInfo info;
    private final String dataset;
    private final Map<String, Long> modifiedAt;
    private final boolean objectStore;
    private final Map<Integer, byte[]> checkedHeaders = new ConcurrentHashMap<>(); // checked once, kept for the hash
    private final Map<Integer, Running> hashing = new ConcurrentHashMap<>();

    /** A shard's SHA-256 so far, and the record it expects next. */
    private static final class Running {
        final MessageDigest sha = Hashes.sha256();
        long next;
    }

    /**
     * @param dataset the dataset's description for messages ("root (generation n)")
     * @param modifiedAt each shard file's modification time when the job started, by file name (empty:
     *     not checked)
     */
    ShardChecks(Storage storage, Path dir, DatasetInfo info, String dataset, Map<String, Long> modifiedAt) {
        this.storage = storage;
        this.dir = dir;
        this.info = info;
        this.dataset = dataset;
        this.modifiedAt = modifiedAt;
        this.objectStore = storage.isObjectStore(dir);
    }

    /** Checks shard {@code shard} as it is opened; returns its header's length. */
    int open(int shard) throws IOException {
        DatasetInfo.Shard s = info.shards().get(shard);
        Path path = new Path(dir, s.file());
        FileStatus status;
        try {
            status = storage.status(path);
        } catch (FileNotFoundException e) {
            throw changed(path, "it is gone (if data.shards was replaced meanwhile: this job's reader's lease was"
                    + " taken for expired, see run.lease-timeout-seconds)");
        }
        if (status.getLen() != s.bytes()) {
            throw changed(path, "it has " + status.getLen() + " bytes, dataset.json says " + s.bytes() + " bytes of "
                    + s.count() + " records of " + Shards.dtype(info.channels(), info.size()));
        }
        Long recorded = modifiedAt.get(s.file());
        if (recorded != null && !sameTime(recorded, status.getModificationTime())) {
            throw changed(path, "it was rewritten at " + Instant.ofEpochMilli(status.getModificationTime())
                    + "; the job started with the file of " + Instant.ofEpochMilli(recorded));
        }
        byte[] checked = checkedHeaders.get(shard);
        if (checked != null) {
            return checked.length;
        }
        byte[] expected = header(s);
        byte[] header = new byte[expected.length];
        storage.readRange(path, 0, header, 0, header.length);
        if (!Arrays.equals(header, expected)) {
            throw changed(path, "its header is not the one dataset.json describes (" + s.count() + " records of "
                    + Shards.dtype(info.channels(), info.size()) + ")");
        }
        checkedHeaders.put(shard, expected);
        return expected.length;
    }

    /**
     * Whether a file's modification time is the one recorded: to the millisecond on HDFS and local disks;
     * to the second on object stores, whose listings and status calls may round it differently.
     */
    private boolean sameTime(long recorded, long now) {
        return objectStore ? recorded / 1000 == now / 1000 : recorded == now;
    }

    /**
     * Folds records [first, first + count) of {@code shard}, as read ({@code bytes}), into its running
     * SHA-256, and compares it with dataset.json's when they end the shard.
     */
    void read(int shard, long first, int count, byte[] bytes, int length) {
        DatasetInfo.Shard s = info.shards().get(shard);
        if (first == 0) {
            Running start = new Running();
            byte[] checked = checkedHeaders.get(shard);
            start.sha.update(checked != null ? checked : header(s));
            hashing.put(shard, start);
        }
        Running running = hashing.get(shard);
        if (running == null) {
            return;
        }
        synchronized (running) {
            if (running.next != first) {
                hashing.remove(shard, running); // out of order: not hashed this time
                return;
            }
            running.sha.update(bytes, 0, length);
            running.next += count;
            if (running.next < s.count()) {
                return;
            }
            hashing.remove(shard, running);
            String sha = HexFormat.of().formatHex(running.sha.digest());
            if (!sha.equals(s.sha256())) {
                throw changed(new Path(dir, s.file()), "the SHA-256 of its bytes is " + sha + ", dataset.json recorded "
                        + s.sha256());
            }
        }
    }

    private byte[] header(DatasetInfo.Shard s) {
        return Npy.header(Shards.dtype(info.channels(), info.size()), s.count());
    }

    private DatasetChangedException changed(Path path, String what) {
        return new DatasetChangedException("shard " + path + " of " + dataset + " changed under this job: " + what
                + ". A prepared dataset is never changed in place; restore the shard and run the same command again to"
                + " resume, or prepare the dataset again (sparkgan prepare --replace) and start a new run");
    }
}

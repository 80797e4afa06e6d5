package io.sparkgan.data;

import io.sparkgan.config.DataConfig;
import io.sparkgan.io.DirectoryLease;
import io.sparkgan.io.Storage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The prepare stage: source → validated, resized uint8 shards, {@code rejects.csv} and, last,
 * {@code dataset.json}. The driver lists the source into a stable order of ids and hands each shard's
 * id range [k·n, (k+1)·n) to a Spark task; the executors read, decode, validate and resize the images
 * and write the shards themselves ({@link ShardTask}). The driver never holds pixels: it gathers the
 * rejects and the shards' checksums, and commits. Shard k's content depends on its id range alone,
 * so the shards and the content hash are the same for any number of tasks or executors.
 */
public final class Preparer {
    private static final Logger LOG = LoggerFactory.getLogger(Preparer.class);
    private static final Duration DEFAULT_LEASE_TIMEOUT = Duration.ofSeconds(60);

    private Preparer() {
    }

    /** As {@link #prepare(JavaSparkContext, DataConfig, Storage, Duration, boolean)}: no replacing, the default lease timeout. */
    public static PreparedDataset prepare(JavaSparkContext sc, DataConfig data, Storage storage) throws IOException {
        return prepare(sc, data, storage, DEFAULT_LEASE_TIMEOUT, false);
    }

    /**
     * The dataset in data.shards when it was prepared from this source with these settings; else, when
     * data.shards holds none, prepares it. A dataset prepared otherwise is refused, naming both, unless
     * {@code replace}: then the new one is written as the next generation beside it
     * ({@link DatasetGenerations}), and the old one goes once no job reads it. Writing takes the lease
     * of data.shards ({@link DirectoryLease}), so two prepares never interleave their files.
     */
    public static PreparedDataset prepare(JavaSparkContext sc, DataConfig data, Storage storage,
                                          Duration leaseTimeout, boolean replace) throws IOException {
        Path root = Storage.qualify(data.shards());
        DatasetSource source = DatasetSources.open(data, storage);
        DataConfig heldData = DatasetSources.heldOut(data, storage);
        DatasetSource held = heldData == null ? null : DatasetSources.open(heldData, storage);
        // a pair dataset's held-out split is part of it: a change to either is another dataset
        String sourceFingerprint = source.fingerprint()
                + (held == null ? "" : "|held-out " + heldData.split() + " " + held.fingerprint());
        String fingerprint = fingerprint(sourceFingerprint, data);
        Map<String, String> settings = DatasetSettings.of(data, sourceFingerprint);
        PreparedDataset existing = reusable(storage, root, fingerprint, settings, data, replace);
        if (existing != null) {
            sweep(storage, root, leaseTimeout, replace);
            return existing;
        }
        try (DirectoryLease lease = DirectoryLease.acquire(storage, root, "prepare", leaseTimeout)) {
            existing = reusable(storage, root, fingerprint, settings, data, replace); // another prepare may have finished
            if (existing != null) {
                return existing;
            }
            DatasetGenerations.Listing listing = DatasetGenerations.list(storage, root);
            long generation = target(storage, root, listing, fingerprint);
            Path dir = DatasetGenerations.dir(root, generation);
            if (held != null) { // first: the training split's dataset.json is the switch
                Path heldDir = new Path(dir, PreparedDataset.HELD_OUT);
                String heldFingerprint = fingerprint(held.fingerprint(), heldData);
                writeInto(sc, heldDir, held, heldFingerprint, DatasetSettings.of(heldData, held.fingerprint()), heldData,
                        storage, lease);
            }
            DatasetInfo info = writeInto(sc, dir, source, fingerprint, settings, data, storage, lease);
            PreparedDataset written = new PreparedDataset(root.toString(), generation, dir.toString(), info);
            if (listing.current() >= 0) {
                LOG.info("prepare: {} is the current dataset of {}, replacing generation {}", written.describe(),
                        root, listing.current());
                lease.check();
                DatasetGenerations.removeReplaced(storage, root, leaseTimeout, true);
            }
            return written;
        }
    }

    /**
     * Writes a dataset into {@code dir}, resuming an interrupted prepare of the same fingerprint there
     * (its complete shards kept) and removing the rest of what one left.
     */
    private static DatasetInfo writeInto(JavaSparkContext sc, Path dir, DatasetSource source, String fingerprint,
                                         Map<String, String> settings, DataConfig data, Storage storage,
                                         DirectoryLease lease) throws IOException {
        Map<Integer, ShardTask.Result> earlier = ShardRecords.read(storage, dir, fingerprint);
        storage.delete(new Path(dir, DatasetInfo.FILE)); // a held-out split of an earlier attempt: rewritten
        DatasetGenerations.removePrepareFiles(storage, dir, kept(dir, earlier));
        storage.mkdirs(dir);
        return ShardWriting.write(sc, source, fingerprint, settings, data, storage, dir, lease, earlier);
    }

    /**
     * Removes replaced generations that no job holds. A plain prepare (every job's) counts every lease as
     * held; {@code prepare --replace} with nothing to replace, under the writer lease, waits out the
     * leases that are not renewed (readers killed on other hosts).
     */
    private static void sweep(Storage storage, Path root, Duration leaseTimeout, boolean waitForReaders) {
        try {
            if (waitForReaders) {
                try (DirectoryLease lease = DirectoryLease.acquire(storage, root, "prepare", leaseTimeout)) {
                    DatasetGenerations.removeReplaced(storage, root, leaseTimeout, true);
                }
            } else {
                DatasetGenerations.removeReplaced(storage, root, leaseTimeout, false);
            }
        } catch (IOException | RuntimeException e) { // space, not correctness: the next prepare tries again
            LOG.warn("prepare: could not remove the replaced generations of {}: {}", root, e.toString());
        }
    }

    /**
     * Holds the dataset for a job that reads it ({@code what}: e.g. "train hdfs:///runs/r7"), preparing
     * it first if data.shards holds none; a dataset prepared otherwise is refused.
     */
    public static HeldDataset prepareAndHold(JavaSparkContext sc, DataConfig data, Storage storage,
                                             Duration leaseTimeout, String what) throws IOException {
        for (int attempt = 1; ; attempt++) {
            PreparedDataset dataset = prepare(sc, data, storage, leaseTimeout, false);
            try {
                return HeldDataset.hold(storage, dataset, what, leaseTimeout);
            } catch (HeldDataset.ReplacedMeanwhile e) {
                if (attempt >= 3) {
                    throw new DataException(e.getMessage() + ", again and again; run the job again once data.shards"
                            + " has settled");
                }
                LOG.info("{}: {}; looking again", what, e.getMessage()); // the next prepare reuses it or refuses it
            }
        }
    }

    /**
     * The current dataset in data.shards when it was made from this source with these settings and is
     * whole; null when there is none, or it is to be replaced; refused when it was made otherwise.
     */
    private static PreparedDataset reusable(Storage storage, Path root, String fingerprint,
                                            Map<String, String> settings, DataConfig data, boolean replace)
            throws IOException {
        PreparedDataset current;
        try {
            current = DatasetGenerations.current(storage, root);
        } catch (DatasetInfo.OtherFormat e) {
            if (e.version > DatasetInfo.FORMAT_VERSION) {
                throw new DataException("prepare: " + root + " holds a dataset in format " + e.version + ", written by a"
                        + " newer sparkgan; this one writes format " + DatasetInfo.FORMAT_VERSION + " and leaves it"
                        + " alone: use the newer version, or another data.shards");
            }
            if (!replace) {
                throw new DataException("prepare: " + root + " holds a dataset in format " + e.version + " (an earlier"
                        + " sparkgan's), which this one does not read; replace it with `sparkgan prepare --replace`,"
                        + " or point data.shards at another folder");
            }
            return null;
        }
        if (current == null) {
            return null;
        }
        if (!current.info().fingerprint().equals(fingerprint)) {
            if (replace) {
                return null;
            }
            throw new DataException(DatasetSettings.refusal(current, settings, fingerprint));
        }
        String damage = damage(storage, current);
        if (damage != null && DatasetGenerations.list(storage, root).current() != current.generation()) {
            // replaced and removed as we looked (no job held it yet): look at the new one
            return reusable(storage, root, fingerprint, settings, data, replace);
        }
        if (damage != null) {
            if (replace) {
                return null;
            }
            throw new DataException("prepare: " + current.describe() + " is damaged: " + damage + ". A prepared dataset"
                    + " is never rewritten in place; `sparkgan prepare --replace` prepares it again as a new"
                    + " generation");
        }
        DataException tooMany = ShardWriting.tooManyRejects(current.info().rejected(),
                current.info().count() + current.info().rejected(), data, current.dirPath(), "");
        if (tooMany != null) {
            throw tooMany; // data.max-reject-fraction is not part of the fingerprint: check it here too
        }
        LOG.info("prepare: reusing {} images in {} (source and settings unchanged{})", current.info().count(),
                current.describe(), replace ? "; --replace has nothing to replace" : "");
        return current;
    }

    /**
     * The generation to write: an unfinished one newer than the current that an interrupted prepare of
     * this fingerprint left (resumed), else the next number; other unfinished ones go, since no job
     * reads a generation without its dataset.json.
     */
    private static long target(Storage storage, Path root, DatasetGenerations.Listing listing, String fingerprint)
            throws IOException {
        long current = listing.current();
        long target = -1;
        for (long g : listing.unfinished().descendingSet()) {
            if (g < current) {
                continue; // what an interrupted removal left: removeReplaced's
            }
            if (target < 0 && !ShardRecords.read(storage, DatasetGenerations.dir(root, g), fingerprint).isEmpty()) {
                target = g;
            } else {
                DatasetGenerations.remove(storage, root, g);
            }
        }
        return target >= 0 ? target : current < 0 ? 0 : listing.newest() + 1;
    }

    /** The files of an interrupted prepare's complete shards: kept when it is resumed. */
    private static Set<String> kept(Path dir, Map<Integer, ShardTask.Result> earlier) {
        Set<String> kept = new HashSet<>();
        for (ShardTask.Result r : earlier.values()) {
            kept.add(ShardRecords.path(dir, r.index()).getName());
            if (r.shard() != null) {
                kept.add(r.shard().file());
            }
        }
        return kept;
    }

    /** What is wrong with a dataset's shards at a glance (missing, or of another length), or null. */
    private static String damage(Storage storage, PreparedDataset dataset) throws IOException {
        for (DatasetInfo.Shard s : dataset.info().shards()) {
            Path file = new Path(dataset.dirPath(), s.file());
            long length;
            try {
                length = storage.length(file);
            } catch (FileNotFoundException e) {
                return file + " is missing";
            }
            if (length != s.bytes()) {
                return file + " has " + length + " bytes, dataset.json says " + s.bytes();
            }
        }
        return null;
    }

    static String fingerprint(String sourceFingerprint, DataConfig data) {
        String settings = "v" + DatasetInfo.FORMAT_VERSION + "|" + sourceFingerprint + "|" + data.byteSettings();
        return HexFormat.of().formatHex(Hashes.sha256().digest(settings.getBytes(StandardCharsets.UTF_8)));
    }
}

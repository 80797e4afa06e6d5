package io.sparkgan.data;

import io.sparkgan.io.ReaderLease;
import io.sparkgan.io.Storage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generations of a data.shards folder. A prepared dataset is never changed: {@code prepare
 * --replace} writes the next generation beside the current one, in {@code generation-NNNNNN/}, and
 * its dataset.json, written last (one atomic rename on HDFS and local disks, one new object on S3),
 * makes it current. The current generation is the newest whose dataset.json exists; a dataset
 * prepared straight into data.shards (the first prepare, and every one before generations existed)
 * is generation 0. Jobs read the generation that was current when they started
 * ({@link HeldDataset}); a replaced one is removed once no reader holds it.
 */
public final class DatasetGenerations {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetGenerations.class);
    private static final Pattern NAME = Pattern.compile("generation-(\\d{6,})");
    private static final Pattern PREPARE_FILE = Pattern.compile("\\.?part-\\d+\\.(np[yz]|json)(\\..*\\.tmp)?");

    private DatasetGenerations() {
    }

    /** The folder of generation {@code g}: data.shards itself for 0. */
    public static Path dir(Path root, long generation) {
        return generation == 0 ? root : new Path(root, name(generation));
    }

    /** The generation's name, which its readers' leases are keyed by. */
    static String name(long generation) {
        return String.format(Locale.ROOT, "generation-%06d", generation);
    }

    /** The generations in data.shards: those with a dataset.json, and folders of unfinished ones. */
    record Listing(TreeSet<Long> committed, TreeSet<Long> unfinished) {
        /** The current generation, or −1 when none is complete. */
        long current() {
            return committed.isEmpty() ? -1 : committed.last();
        }

        long newest() {
            return Math.max(current(), unfinished.isEmpty() ? -1 : unfinished.last());
        }
    }

    static Listing list(Storage storage, Path root) throws IOException {
        TreeSet<Long> committed = new TreeSet<>();
        TreeSet<Long> unfinished = new TreeSet<>();
        boolean rootFiles = false;
        for (FileStatus f : storage.list(root)) {
            String name = f.getPath().getName();
            Matcher m = NAME.matcher(name);
            if (f.isDirectory() && m.matches()) {
                long g = Long.parseLong(m.group(1));
                (storage.exists(new Path(f.getPath(), DatasetInfo.FILE)) ? committed : unfinished).add(g);
            } else if (name.equals(DatasetInfo.FILE)) {
                committed.add(0L);
            } else if (PREPARE_FILE.matcher(name).matches() || name.equals("rejects.csv")) {
                rootFiles = true;
            }
        }
        if (rootFiles && !committed.contains(0L)) {
            unfinished.add(0L);
        }
        return new Listing(committed, unfinished);
    }

    /**
     * The current generation, or null when data.shards holds none.
     *
     * @throws DatasetInfo.OtherFormat when its dataset.json is in a format this build does not read
     */
    public static PreparedDataset current(Storage storage, Path root) throws IOException {
        for (int attempt = 0; ; attempt++) {
            long g = list(storage, root).current();
            if (g < 0) {
                return null;
            }
            Path dir = dir(root, g);
            try {
                DatasetInfo info = DatasetInfo.fromJson(storage.readString(new Path(dir, DatasetInfo.FILE)));
                return new PreparedDataset(root.toString(), g, dir.toString(), info);
            } catch (FileNotFoundException e) {
                if (attempt >= 3) { // removed between the listing and the read: a replaced generation going
                    throw e;
                }
            }
        }
    }

    /** Removes generation {@code g}: its dataset.json first, so that nothing half there passes for a dataset. */
    static void remove(Storage storage, Path root, long generation) throws IOException {
        Path dir = dir(root, generation);
        storage.delete(new Path(dir, DatasetInfo.FILE));
        if (generation == 0) {
            removePrepareFiles(storage, root, Set.of());
            storage.delete(new Path(root, "fid"));
            storage.delete(new Path(root, PreparedDataset.HELD_OUT));
        } else {
            storage.delete(dir);
        }
    }

    /**
     * Deletes what a prepare writes in a generation's folder (shards, their records, rejects.csv,
     * temporary files) but the files named in {@code keep}: never a generation's folder, _lease/ or
     * _readers/, nor anything else that is not ours.
     */
    static void removePrepareFiles(Storage storage, Path dir, Set<String> keep) throws IOException {
        for (FileStatus f : storage.list(dir)) {
            String name = f.getPath().getName();
            boolean ours = PREPARE_FILE.matcher(name).matches() || name.equals("rejects.csv");
            if (ours && !keep.contains(name)) {
                storage.delete(f.getPath());
            }
        }
    }

    /**
     * Removes the generations older than the current one that no reader holds, and what an
     * interrupted removal left. With {@code waitForReaders}, a reader's lease that is not renewed
     * within its expiry is a reader that is gone; without, every lease holds its generation.
     *
     * @return the generations kept for their readers
     */
    static List<Long> removeReplaced(Storage storage, Path root, Duration timeout, boolean waitForReaders)
            throws IOException {
        Listing listing = list(storage, root);
        long current = listing.current();
        for (long g : listing.unfinished()) {
            if (g < current) {
                remove(storage, root, g);
            }
        }
        List<Long> kept = new ArrayList<>();
        for (long g : listing.committed().headSet(current, false)) {
            List<String> readers = ReaderLease.live(storage, root, name(g), timeout, waitForReaders);
            if (readers.isEmpty()) {
                remove(storage, root, g);
                LOG.info("removed generation {} of {}, replaced by generation {} and read by no job", g, root, current);
            } else {
                kept.add(g);
                LOG.info("generation {} of {} was replaced by generation {} but is still read by {}; it is removed when"
                        + " they are done", g, root, current, String.join(", ", readers));
            }
        }
        return kept;
    }
}

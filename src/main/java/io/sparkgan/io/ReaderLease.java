package io.sparkgan.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A shared lease: any number of readers hold one each on a part of a directory (a {@code key}, e.g. a
 * dataset generation), so that whoever would remove that part can tell whether someone still reads
 * it. A holder writes {@code <dir>/_readers/<key>.<owner>.json} (who, where, since, its heartbeat
 * interval), rewrites {@code <key>.<owner>.heartbeat} with a growing counter while it reads, and
 * deletes both when it is done. A watcher counts a holder live when its counter moves within the
 * lease expiry by the watcher's own clock ({@link DirectoryLease} does the same for its writer).
 */
public final class ReaderLease implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReaderLease.class);
    public static final String DIR = "_readers";

    private final Storage storage;
    private final Path holderFile;
    private final Path heartbeatFile;
    private final ScheduledExecutorService heartbeat;
    private final AtomicLong beats = new AtomicLong();

    private ReaderLease(Storage storage, Path holderFile, Path heartbeatFile, Duration interval) {
        this.storage = storage;
        this.holderFile = holderFile;
        this.heartbeatFile = heartbeatFile;
        this.heartbeat = LeaseHolder.renewing("sparkgan-reader-" + holderFile.getName(), this::beat, interval);
    }

    /**
     * Takes a reader's lease on {@code key} of {@code dir} for {@code what} (e.g. "train run-7"),
     * renewed every sixth of {@code timeout} until closed.
     */
    public static ReaderLease take(Storage storage, Path dir, String key, String what, Duration timeout)
            throws IOException {
        Duration interval = LeaseHolder.heartbeatInterval(timeout);
        String owner = UUID.randomUUID().toString();
        ObjectNode holder = LeaseHolder.json(what, owner, interval);
        holder.put("key", key);
        Path readers = new Path(dir, DIR);
        Path holderFile = new Path(readers, key + "." + owner + ".json");
        storage.writeAtomically(holderFile, LeaseHolder.bytes(holder));
        return new ReaderLease(storage, holderFile, new Path(readers, key + "." + owner + ".heartbeat"), interval);
    }

    private void beat() {
        try {
            if (beats.get() > 0 && !storage.exists(holderFile)) {
                // a watcher took this reader for gone (its beats were late by a whole expiry) and removed its
                // lease: what it reads may be removed too, and its next read of a removed file says so
                LOG.error("this job's reader's lease {} was removed by a job that took it for gone; the dataset"
                        + " generation it reads may be removed under it (run.lease-timeout-seconds)", holderFile);
            }
            storage.writeString(heartbeatFile, beats.incrementAndGet() + "\n");
        } catch (IOException e) {
            LOG.warn("could not renew the reader's lease {}: {}", holderFile, e.toString());
        }
    }

    /** Stops renewing (waiting for a renewal under way) and removes the lease. */
    @Override
    public void close() {
        heartbeat.shutdown();
        try {
            heartbeat.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            storage.delete(holderFile);
            storage.delete(heartbeatFile);
        } catch (IOException e) {
            LOG.warn("could not remove the reader's lease {} ({}); it expires when its heartbeat stops", holderFile,
                    e.toString());
        }
    }

    /**
     * The holders of {@code key} that are alive, by description ("sparkgan train on host (pid n)").
     * With {@code wait}, a holder counts alive only if its heartbeat moves within its expiry (the
     * watch ends at the first that moves, or after one expiry), and the files of the dead ones are
     * removed; without, every holder counts alive but those of this host whose process is gone.
     */
    public static List<String> live(Storage storage, Path dir, String key, Duration timeout, boolean wait)
            throws IOException {
        Map<Path, JsonNode> holders = holders(storage, dir, key);
        List<String> alive = new ArrayList<>();
        Map<Path, String> watched = new HashMap<>();
        Duration expiry = Duration.ZERO;
        for (Map.Entry<Path, JsonNode> h : holders.entrySet()) {
            if (LeaseHolder.deadOnThisHost(h.getValue())) {
                removeHolder(storage, h.getKey());
            } else if (!wait) {
                alive.add(LeaseHolder.describe(h.getValue()));
            } else {
                watched.put(h.getKey(), heartbeat(storage, h.getKey()));
                Duration e = LeaseHolder.expiry(h.getValue(), timeout);
                expiry = e.compareTo(expiry) > 0 ? e : expiry;
            }
        }
        long started = System.nanoTime();
        while (alive.isEmpty() && !watched.isEmpty() && System.nanoTime() - started < expiry.toNanos()) {
            sleep(Math.min(1000, LeaseHolder.heartbeatInterval(timeout).toMillis()));
            for (Iterator<Map.Entry<Path, String>> it = watched.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<Path, String> w = it.next();
                if (!storage.exists(w.getKey())) {
                    it.remove(); // released meanwhile
                } else if (!w.getValue().equals(heartbeat(storage, w.getKey()))) {
                    alive.add(LeaseHolder.describe(holders.get(w.getKey())));
                }
            }
        }
        if (alive.isEmpty()) {
            for (Path dead : watched.keySet()) {
                LOG.info("the reader's lease {} of {} was not renewed for {} s: its reader is gone", dead.getName(),
                        LeaseHolder.describe(holders.get(dead)), expiry.toSeconds());
                removeHolder(storage, dead);
            }
        }
        return alive;
    }

    /** The holder files of {@code key} and what they say. */
    private static Map<Path, JsonNode> holders(Storage storage, Path dir, String key) throws IOException {
        Map<Path, JsonNode> holders = new HashMap<>();
        for (FileStatus f : storage.list(new Path(dir, DIR))) {
            String name = f.getPath().getName();
            if (name.startsWith(key + ".") && name.endsWith(".json")) {
                try {
                    holders.put(f.getPath(), Json.parse(storage.readString(f.getPath())));
                } catch (FileNotFoundException e) {
                    // released between the listing and the read; any other failure stops the watcher
                }
            }
        }
        return holders;
    }

    private static String heartbeat(Storage storage, Path holderFile) throws IOException {
        try {
            return storage.readString(heartbeatOf(holderFile));
        } catch (FileNotFoundException e) {
            return ""; // not renewed yet
        }
    }

    private static Path heartbeatOf(Path holderFile) {
        String name = holderFile.getName();
        return new Path(holderFile.getParent(), name.substring(0, name.length() - ".json".length()) + ".heartbeat");
    }

    private static void removeHolder(Storage storage, Path holderFile) throws IOException {
        storage.delete(holderFile);
        storage.delete(heartbeatOf(holderFile));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DirectoryLease.LeaseException("interrupted while watching readers' leases");
        }
    }
}

package io.sparkgan.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer per directory (a run directory, a prepared dataset): a lease in {@code <dir>/_lease/}.
 *
 * <p>Holding: a driver creates {@code generation-N.json} (owner, host, pid, since) with an exclusive
 * create (see {@link Storage#createExclusive}: atomic on HDFS and local disks, not on S3), so of two
 * drivers only one gets generation N. While it holds the lease it rewrites
 * {@code generation-N.heartbeat} with a growing counter; when it ends it writes
 * {@code generation-N.released}.
 *
 * <p>Taking over: a driver that finds generation N held watches its heartbeat with its own clock. A
 * counter that moves means a live holder: the driver refuses, naming it. One that does not move for
 * the lease timeout (or whose holder is a process of this host that no longer exists) means a dead
 * holder: the driver creates generation N+1. No clocks are compared across hosts.
 *
 * <p>Fencing: a holder checks, before every write that commits something ({@link #check}), that no
 * newer generation exists, and stops if one does. A holder paused between that check and its write
 * (a long GC, a stopped container) can still commit once after a takeover; so every commit names its
 * generation, each generation records the newest commit it took over ({@link #recordTakeover}), and
 * readers ignore a commit of an older generation that is newer than that ({@link Commits}).
 */
public final class DirectoryLease implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DirectoryLease.class);
    public static final String DIR = "_lease";

    /** The directory is in use by a live holder, or this holder lost it to a newer one. */
    public static final class LeaseException extends RuntimeException {
        public LeaseException(String message) {
            super(message);
        }
    }

    /** Holders this JVM let go of: a release mark that could not be written (a full disk) need not be waited for here. */
    private static final Set<String> CLOSED_HERE = ConcurrentHashMap.newKeySet();

    private final Storage storage;
    private final Path dir;
    private final long generation;
    private final String owner;
    private final String what;
    private final ScheduledExecutorService heartbeat;
    private final AtomicLong beats = new AtomicLong();

    private DirectoryLease(Storage storage, Path dir, long generation, String owner, String what, Duration interval) {
        this.storage = storage;
        this.dir = dir;
        this.generation = generation;
        this.owner = owner;
        this.what = what;
        this.heartbeat = LeaseHolder.renewing("sparkgan-lease-" + dir.getName(), this::beat, interval);
    }

    /**
     * Takes the lease of {@code dir} for {@code what} (e.g. "train"), waiting at most {@code timeout}
     * for a holder that stopped renewing it; refuses when a live holder has it.
     */
    public static DirectoryLease acquire(Storage storage, Path dir, String what, Duration timeout) throws IOException {
        Duration interval = LeaseHolder.heartbeatInterval(timeout);
        while (true) {
            LeaseGenerations g = LeaseGenerations.read(storage, dir);
            if (g.newest() == 0 || g.released(g.newest()) || holderIsGone(g.holder(g.newest()))
                    || waitedOut(storage, dir, g, timeout, interval)) {
                long next = g.newest() + 1;
                String owner = UUID.randomUUID().toString();
                if (create(storage, LeaseGenerations.file(dir, next, ".json"), LeaseHolder.bytes(LeaseHolder.json(what, owner, interval)))) {
                    if (g.newest() > 0 && !g.released(g.newest())) {
                        LOG.warn("{}: took over {} from {} (lease generation {} → {})", what, dir,
                                LeaseHolder.describe(g.holder(g.newest())), g.newest(), next);
                    }
                    return new DirectoryLease(storage, dir, next, owner, what, interval);
                }
            }
            // another driver created the next generation first, or the holder let go: look again
        }
    }

    private static boolean create(Storage storage, Path generation, byte[] holder) {
        try {
            return storage.createExclusive(generation, holder);
        } catch (IOException e) {
            throw new LeaseException("cannot take the lease of " + generation.getParent().getParent() + ": writing "
                    + generation.getName() + " failed (" + e.getMessage() + ")");
        }
    }

    /**
     * Watches the holder's heartbeat for up to {@code timeout} by this JVM's clock: true when it did not
     * move (the holder is dead), false when the generations changed meanwhile; throws when it moved.
     */
    private static boolean waitedOut(Storage storage, Path dir, LeaseGenerations g, Duration timeout, Duration interval)
            throws IOException {
        JsonNode holder = g.holder(g.newest());
        Duration expiry = LeaseHolder.expiry(holder, timeout);
        String first = g.heartbeat(g.newest());
        LOG.info("{} is held by {} (lease generation {}); waiting up to {} s for its lease to expire", dir,
                LeaseHolder.describe(holder), g.newest(), expiry.toSeconds());
        long started = System.nanoTime();
        while (System.nanoTime() - started < expiry.toNanos()) {
            sleep(Math.min(1000, interval.toMillis()));
            LeaseGenerations now = LeaseGenerations.read(storage, dir);
            if (now.newest() != g.newest() || now.released(g.newest())) {
                return false;
            }
            if (!first.equals(now.heartbeat(g.newest()))) {
                throw new LeaseException(dir + " is in use by " + LeaseHolder.describe(holder) + ", which holds its lease (since "
                        + holder.path("since").asText() + ") and is renewing it. Wait for it to finish or stop it;"
                        + " the lease of a driver that was killed expires " + expiry.toSeconds()
                        + " s after its last renewal (run.lease-timeout-seconds).");
            }
        }
        return true;
    }

    /**
     * Whether the holder is certainly gone, so that there is no need to wait for its lease to expire:
     * a process of this host that no longer exists, or a lease this JVM closed.
     */
    private static boolean holderIsGone(JsonNode holder) {
        return CLOSED_HERE.contains(holder.path("owner").asText()) || LeaseHolder.deadOnThisHost(holder);
    }

    /** This holder's generation: what its commits name. */
    public long generation() {
        return generation;
    }

    /** Fails if a newer generation took the lease over: call before every write that commits. */
    public void check() {
        long newest;
        try {
            newest = LeaseGenerations.read(storage, dir).newest();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the lease of " + dir + ": " + e.getMessage(), e);
        }
        if (newest != generation) {
            throw new LeaseException(what + ": lost the lease of " + dir + " to another driver (lease generation "
                    + newest + "; this one held " + generation + "), which took it over when this one stopped"
                    + " renewing it; this driver stops without writing more");
        }
    }

    /** Records the newest commit this generation took over (or -1): older generations' later commits are void. */
    public void recordTakeover(long newestCommit) throws IOException {
        storage.writeString(LeaseGenerations.file(dir, generation, ".takeover"), newestCommit + "\n");
    }

    /** Stops renewing and lets the next driver in at once. */
    @Override
    public void close() {
        heartbeat.shutdownNow();
        CLOSED_HERE.add(owner);
        try {
            if (LeaseGenerations.read(storage, dir).newest() == generation) {
                storage.writeString(LeaseGenerations.file(dir, generation, ".released"), Instant.now() + "\n");
            }
        } catch (IOException e) {
            LOG.warn("{}: could not release the lease of {} ({}); the next driver waits for it to expire", what, dir,
                    e.toString());
        }
    }

    private void beat() {
        try {
            storage.writeString(LeaseGenerations.file(dir, generation, ".heartbeat"), beats.incrementAndGet() + "\n");
        } catch (IOException e) {
            LOG.warn("{}: could not renew the lease of {}: {}", what, dir, e.toString());
        }
    }

    /**
     * Which commits of a directory count: those of the newest generation, and those of older ones that
     * a later generation found when it took over. A commit without a generation (written before
     * leases existed) counts as generation 0.
     */
    public static final class Commits {
        private final TreeMap<Long, Long> takeovers;

        private Commits(TreeMap<Long, Long> takeovers) {
            this.takeovers = takeovers;
        }

        public static Commits of(Storage storage, Path dir) throws IOException {
            return new Commits(LeaseGenerations.read(storage, dir).takeovers());
        }

        /** Whether the commit at {@code position} (a step) made by {@code generation} counts. */
        public boolean counts(long position, long generation) {
            for (long newest : takeovers.tailMap(generation, false).values()) {
                if (position > newest) {
                    return false;
                }
            }
            return true;
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LeaseException("interrupted while waiting for a lease");
        }
    }
}

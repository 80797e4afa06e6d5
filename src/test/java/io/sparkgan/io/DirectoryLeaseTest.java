package io.sparkgan.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One writer per directory: exclusive generations, refusal while alive, takeover once expired, fencing. */
class DirectoryLeaseTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    @TempDir
    Path tmp;

    private org.apache.hadoop.fs.Path dir() {
        return new org.apache.hadoop.fs.Path(tmp.toUri());
    }

    /** A holder on another machine that stopped renewing: its heartbeat file never changes again. */
    private void deadHolderElsewhere(int generation) throws Exception {
        Path lease = Files.createDirectories(tmp.resolve(DirectoryLease.DIR));
        Files.writeString(lease.resolve(String.format("generation-%08d.json", generation)),
                "{\"what\": \"train\", \"host\": \"gpu-node-7\", \"pid\": 4242, \"since\": \"2026-11-29T10:00:00Z\"}");
        Files.writeString(lease.resolve(String.format("generation-%08d.heartbeat", generation)), "17\n");
    }

    @Test
    void aSecondHolderIsRefusedNamingTheFirstAndGetsInOnceItIsReleased() throws Exception {
        Storage storage = Storage.local();
        DirectoryLease first = DirectoryLease.acquire(storage, dir(), "train", TIMEOUT);
        assertEquals(1, first.generation());
        DirectoryLease.LeaseException refused = assertThrows(DirectoryLease.LeaseException.class,
                () -> DirectoryLease.acquire(storage, dir(), "fid", TIMEOUT));
        assertTrue(refused.getMessage().contains("is in use by sparkgan train on ")
                && refused.getMessage().contains("(pid " + ProcessHandle.current().pid() + ")"), refused.getMessage());
        first.close();
        try (DirectoryLease second = DirectoryLease.acquire(storage, dir(), "fid", TIMEOUT)) {
            assertEquals(2, second.generation(), "a released lease is taken at once");
        }
    }

    @Test
    void aHolderThatStoppedRenewingIsTakenOverAfterTheTimeoutAndItsLaterCommitsDoNotCount() throws Exception {
        Storage storage = Storage.local();
        deadHolderElsewhere(1);
        long started = System.nanoTime();
        try (DirectoryLease lease = DirectoryLease.acquire(storage, dir(), "train", TIMEOUT)) {
            double waited = (System.nanoTime() - started) / 1e9;
            assertEquals(2, lease.generation());
            assertTrue(waited >= TIMEOUT.toSeconds() && waited < TIMEOUT.toSeconds() + 5, "waited " + waited + " s");
            lease.recordTakeover(6);
            lease.check();

            DirectoryLease.Commits commits = DirectoryLease.Commits.of(storage, dir());
            assertTrue(commits.counts(6, 1), "what generation 1 committed before the takeover counts");
            assertFalse(commits.counts(9, 1), "a commit of generation 1 after it was taken over does not");
            assertTrue(commits.counts(9, 2));
            assertTrue(commits.counts(3, 0), "commits from before leases existed count up to the takeover");
        }
    }

    /** A waiter configured with a shorter timeout still gives the holder three of its own renewals. */
    @Test
    void aShortTimeoutNeverTakesOverBeforeTheHolderMissedThreeOfItsRenewals() throws Exception {
        Path lease = Files.createDirectories(tmp.resolve(DirectoryLease.DIR));
        Files.writeString(lease.resolve("generation-00000001.json"), "{\"what\": \"train\", \"host\": \"gpu-node-7\","
                + " \"pid\": 4242, \"heartbeat_ms\": 1000}");
        Files.writeString(lease.resolve("generation-00000001.heartbeat"), "3\n");
        long started = System.nanoTime();
        try (DirectoryLease taken = DirectoryLease.acquire(Storage.local(), dir(), "train", Duration.ofMillis(500))) {
            assertEquals(2, taken.generation());
            assertTrue((System.nanoTime() - started) / 1e9 >= 3, "waited three of the holder's 1 s renewals");
        }
    }

    @Test
    void aHolderWhoseLeaseWasTakenOverStopsAtItsNextCheck() throws Exception {
        Storage storage = Storage.local();
        DirectoryLease zombie = DirectoryLease.acquire(storage, dir(), "train", TIMEOUT);
        // as if its driver had been paused past the timeout and another had taken over
        Files.writeString(tmp.resolve(DirectoryLease.DIR).resolve("generation-00000002.json"),
                "{\"what\": \"train\", \"host\": \"other\", \"pid\": 1}");
        DirectoryLease.LeaseException lost = assertThrows(DirectoryLease.LeaseException.class, zombie::check);
        assertTrue(lost.getMessage().startsWith("train: lost the lease of ") && lost.getMessage().contains(
                "(lease generation 2; this one held 1)"), lost.getMessage());
        zombie.close();
        assertFalse(Files.exists(tmp.resolve(DirectoryLease.DIR).resolve("generation-00000001.released")),
                "a holder that lost the lease does not mark it released");
    }

    @Test
    void onlyOneOfTwoCreatorsGetsAName() throws Exception {
        Storage storage = Storage.local();
        org.apache.hadoop.fs.Path name = new org.apache.hadoop.fs.Path(dir(), "x");
        assertTrue(storage.createExclusive(name, new byte[] {1}));
        assertFalse(storage.createExclusive(name, new byte[] {2}));
        assertEquals(1, Files.readAllBytes(tmp.resolve("x"))[0], "the first content stays");
    }
}

package io.sparkgan.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.FolderSnapshot;
import io.sparkgan.LogCapture;
import io.sparkgan.TestSpark;
import io.sparkgan.config.DataConfig;
import io.sparkgan.io.ReaderLease;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A data.shards folder's generations: a dataset of other settings is refused and left byte for byte;
 * a damaged one too; {@code --replace} writes the next generation beside it; a replaced generation
 * stays while a reader holds it and goes with its last reader, or once a reader that stopped renewing
 * its lease is waited out. 60 Fashion-MNIST images in shards of 20.
 */
class DatasetGenerationsTest {
    private static final Duration LEASE = Duration.ofSeconds(1);

    @TempDir
    Path tmp;
    private final Storage storage = Storage.local();

    private DataConfig data(int size) {
        return new DataConfig("data-manifests/fashion-mnist.conf", tmp.resolve("shards").toString(), size, 1, "train",
                60, 20L * (4 + size * size), 0, 0.0, 50_000_000L, false, DataConfig.Cache.AUTO, 16, 8 << 20);
    }

    private PreparedDataset prepare(int size, boolean replace) throws IOException {
        return Preparer.prepare(TestSpark.context(), data(size), storage, LEASE, replace);
    }

    private org.apache.hadoop.fs.Path root() {
        return Storage.qualify(tmp.resolve("shards").toString());
    }

    @Test
    void aDatasetOfOtherSettingsOrDamagedIsRefusedAndLeftByteForByteUntilReplaced() throws IOException {
        PreparedDataset first = prepare(28, false);
        assertEquals(0, first.generation());
        assertEquals(first.info().createdAt(), prepare(28, false).info().createdAt(), "the same settings reuse it");
        FolderSnapshot before = FolderSnapshot.of(tmp.resolve("shards"));

        DataException refused = assertThrows(DataException.class, () -> prepare(32, false));
        String message = refused.getMessage();
        assertTrue(message.startsWith("data.shards " + root() + " (generation 0) holds another dataset than the one"
                + " asked for, and a prepared dataset is never replaced silently."), message);
        assertTrue(message.contains("  there:     data-manifests/fashion-mnist.conf, 28×28, 1 channel, 20 images per"
                + " shard; 60 images, prepared " + first.info().createdAt() + " by sparkgan "), message);
        assertTrue(message.contains("  asked for: data-manifests/fashion-mnist.conf, 32×32, 1 channel, 20 images per"
                + " shard\n"), message);
        assertTrue(message.contains("  differing: data.image-size 28 there, 32 asked for\n"), message);
        assertTrue(message.contains("`sparkgan prepare --replace`"), message);
        before.assertUnchanged();

        Path shard = tmp.resolve("shards/part-00001.npy");
        byte[] whole = Files.readAllBytes(shard);
        Files.delete(shard);
        DataException damaged = assertThrows(DataException.class, () -> prepare(28, false));
        assertTrue(damaged.getMessage().startsWith("prepare: " + root() + " (generation 0) is damaged: "
                + Storage.qualify(shard.toString()) + " is missing. A prepared dataset is never rewritten in place"),
                damaged.getMessage());
        Files.write(shard, whole);
        before.assertUnchanged();

        PreparedDataset second = prepare(32, true);
        assertEquals(1, second.generation());
        assertEquals(root() + "/generation-000001", second.dir());
        assertEquals(32, DatasetInfo.fromJson(Files.readString(tmp.resolve("shards/generation-000001/dataset.json")))
                .size());
        assertEquals(1, DatasetGenerations.current(storage, root()).generation());
        assertFalse(Files.exists(tmp.resolve("shards/dataset.json")), "no reader held generation 0");
        assertFalse(Files.exists(shard));
        assertEquals(second.info().contentSha256(), prepare(32, true).info().contentSha256(),
                "--replace with the settings of the current generation has nothing to replace");
    }

    @Test
    void aReplacedGenerationStaysWhileAReaderHoldsItAndGoesWithItsLastReader() throws IOException {
        HeldDataset held = Preparer.prepareAndHold(TestSpark.context(), data(28), storage, LEASE, "train run-1");
        String log;
        try (LogCapture capture = new LogCapture()) {
            assertEquals(1, prepare(32, true).generation());
            log = capture.text();
        }
        assertTrue(log.contains("generation 0 of " + root() + " was replaced by generation 1 but is still read by"
                + " sparkgan train run-1 on "), log);
        for (DatasetInfo.Shard s : held.info().shards()) {
            assertEquals(s.bytes(), Files.size(tmp.resolve("shards").resolve(s.file())), "kept for its reader");
        }
        held.close();
        assertFalse(Files.exists(tmp.resolve("shards/dataset.json")));
        assertFalse(Files.exists(tmp.resolve("shards/part-00000.npy")), "its last reader removed it");
        assertEquals(1, DatasetGenerations.current(storage, root()).generation());
    }

    @Test
    void aReaderThatStoppedRenewingItsLeaseIsWaitedOutAndItsGenerationRemoved() throws IOException {
        prepare(28, false);
        Path readers = Files.createDirectories(tmp.resolve("shards").resolve(ReaderLease.DIR));
        // a reader on another machine that died: its heartbeat never moves again
        Files.writeString(readers.resolve("generation-000000.dead.json"), "{\"what\": \"train run-0\", \"host\":"
                + " \"gpu-node-7\", \"pid\": 4242, \"heartbeat_ms\": 200, \"since\": \"2026-12-01T10:00:00Z\"}");
        Files.writeString(readers.resolve("generation-000000.dead.heartbeat"), "17\n");
        long started = System.nanoTime();
        assertEquals(1, prepare(32, true).generation());
        double waited = (System.nanoTime() - started) / 1e9;
        assertTrue(waited >= LEASE.toSeconds(), "watched the lease for its expiry, " + waited + " s");
        assertFalse(Files.exists(tmp.resolve("shards/dataset.json")), "generation 0 went with its dead reader");
        try (Stream<Path> left = Files.list(readers)) {
            assertEquals(List.of(), left.toList(), "and so did the dead reader's lease");
        }
    }
}

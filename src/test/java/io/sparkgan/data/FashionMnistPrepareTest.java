package io.sparkgan.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.config.DataConfig;
import io.sparkgan.io.DirectoryLease;
import io.sparkgan.io.Storage;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Uses the real Fashion-MNIST files from Debian's dataset-fashion-mnist package. */
class FashionMnistPrepareTest {
    static final Path DEBIAN = Path.of("/usr/share/datasets/fashion-mnist");

    @TempDir
    Path tmp;
    final Storage storage = Storage.local();

    private DataConfig config(String source, int limit, String split) {
        return new DataConfig(source, tmp.resolve("shards").toString(), 28, 1, split, limit, 128L * 788, 0, 0.0, 50_000_000L, false, DataConfig.Cache.AUTO, 16, 8 << 20);
    }

    @Test
    void manifestFindsTheDebianFilesAndShardsTheImagesUnchanged() throws IOException {
        DatasetInfo info = Preparer.prepare(TestSpark.context(), config("data-manifests/fashion-mnist.conf", 300, "train"), storage).info();
        assertEquals("fashion-mnist", info.name());
        assertEquals(300, info.count());
        assertEquals(10, info.classes().size());
        assertEquals("Ankle boot", info.classes().get(9));
        assertEquals(3, info.shards().size());
        assertEquals(300, Arrays.stream(info.labelCounts()).sum());

        byte[] firstImage;
        int firstLabel;
        try (DataInputStream in = new DataInputStream(new GZIPInputStream(
                Files.newInputStream(DEBIAN.resolve("train-images-idx3-ubyte.gz"))))) {
            in.skipNBytes(16);
            firstImage = in.readNBytes(784);
        }
        try (InputStream in = new GZIPInputStream(Files.newInputStream(DEBIAN.resolve("train-labels-idx1-ubyte.gz")))) {
            in.skipNBytes(8);
            firstLabel = in.read();
        }
        Shards.Content shard = Shards.read(storage, Storage.qualify(tmp.resolve("shards").toString()), info.shards().get(0), 1, 28);
        assertArrayEquals(firstImage, Arrays.copyOf(shard.images(), 784));
        assertEquals(firstLabel, shard.labels()[0]);
    }

    @Test
    void preparingTheSameImagesAgainGivesTheSameContentHash() throws Exception {
        DatasetInfo first = Preparer.prepare(TestSpark.context(), new DataConfig("data-manifests/fashion-mnist.conf",
                tmp.resolve("a").toString(), 28, 1, "train", 200, 128L * 788, 0, 0.0, 50_000_000L, false, DataConfig.Cache.AUTO, 16, 8 << 20), storage).info();
        Thread.sleep(2100); // zip entry times have 2-second resolution
        DatasetInfo second = Preparer.prepare(TestSpark.context(), new DataConfig("data-manifests/fashion-mnist.conf",
                tmp.resolve("b").toString(), 28, 1, "train", 200, 128L * 788, 0, 0.0, 50_000_000L, false, DataConfig.Cache.AUTO, 16, 8 << 20), storage).info();
        assertEquals(first.contentSha256(), second.contentSha256(), "FID caches and evaluators are keyed by it");
        assertEquals(first.shards().get(0).sha256(), second.shards().get(0).sha256());
    }

    @Test
    void idxFolderWorksWithoutAManifest() throws IOException {
        DatasetInfo info = Preparer.prepare(TestSpark.context(), config(DEBIAN.toString(), 50, "test"), storage).info();
        assertEquals(50, info.count());
        assertEquals("fashion-mnist", info.name());
    }

    @Test
    void missingFilesNameTheSearchedPlacesAndHowToInstall() throws IOException {
        Path manifest = tmp.resolve("fm.conf");
        Files.writeString(manifest, Files.readString(Path.of("data-manifests/fashion-mnist.conf"))
                .replace("search-env = \"FASHION_MNIST_DIR\"", "search-env = \"SPARKGAN_TEST_UNSET_VARIABLE\"")
                .replace("\"/usr/share/datasets/fashion-mnist\"", "\"" + tmp.resolve("empty") + "\""));
        DataException e = assertThrows(DataException.class,
                () -> Preparer.prepare(TestSpark.context(), config(manifest.toString(), 10, "train"), storage).info());
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
    }

    @Test
    void checksumMismatchOfAnIdxFileStopsPrepare() throws IOException {
        Path manifest = tmp.resolve("fm.conf");
        Files.writeString(manifest, Files.readString(Path.of("data-manifests/fashion-mnist.conf"))
                .replace("b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7", "ab".repeat(32)));
        DataException e = assertThrows(DataException.class,
                () -> Preparer.prepare(TestSpark.context(), config(manifest.toString(), 10, "train"), storage).info());
        assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz"), e.getMessage());
    }

    @Test
    void unknownSplitListsTheSplitsThatExist() {
        DataException e = assertThrows(DataException.class,
                () -> Preparer.prepare(TestSpark.context(), config("data-manifests/fashion-mnist.conf", 10, "validation"), storage).info());
        assertTrue(e.getMessage().contains("no split 'validation'"), e.getMessage());
        assertTrue(e.getMessage().contains("test") && e.getMessage().contains("train"), e.getMessage());
    }

    /** Two prepares of one data.shards cannot interleave: the second is refused while the first writes. */
    @Test
    void aPrepareOfShardsAnotherPrepareIsWritingIsRefusedAndWritesNothing() throws Exception {
        Path shards = tmp.resolve("shards");
        try (DirectoryLease writing = DirectoryLease.acquire(Storage.local(),
                new org.apache.hadoop.fs.Path(shards.toUri()), "prepare", Duration.ofSeconds(2))) {
            DirectoryLease.LeaseException e = assertThrows(DirectoryLease.LeaseException.class, () -> Preparer.prepare(TestSpark.context(),
                    config("data-manifests/fashion-mnist.conf", 300, "train"), Storage.local(), Duration.ofSeconds(2), false).info());
            assertTrue(e.getMessage().contains("is in use by sparkgan prepare on "), e.getMessage());
        }
        try (var files = Files.list(shards)) {
            assertEquals(List.of(DirectoryLease.DIR), files.map(f -> f.getFileName().toString()).toList());
        }
    }
}

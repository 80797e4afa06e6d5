package io.sparkgan.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.config.DataConfig;
import io.sparkgan.io.Storage;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver lists a source and the executors read it: a file the driver listed that an executor
 * cannot find (a driver-local folder on a cluster, a file deleted meanwhile) is not a bad image but a
 * misplaced source, and stops prepare naming the file, the executor and what to do.
 */
class SourceOnExecutorsTest {
    @TempDir
    Path tmp;
    private final Storage storage = Storage.local();

    private DataConfig config(String source) {
        return new DataConfig(source, tmp.resolve("shards").toString(), 28, 1, "train", 0, 1 << 20, 0, 0.0,
                50_000_000L, false, DataConfig.Cache.AUTO, 16, 8 << 20);
    }

    @Test
    void anImageTheDriverListedAndTheExecutorCannotFindIsNotARejectButAClearError() throws IOException {
        TestSpark.context(); // the executor's identity comes from Spark
        Path folder = Files.createDirectories(tmp.resolve("images"));
        for (String name : List.of("a.png", "b.png")) {
            ImageIO.write(new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY), "png", folder.resolve(name).toFile());
        }
        DatasetSource source = DatasetSources.open(config(folder.toString()), storage);
        assertEquals(2, source.size(0));
        Files.delete(folder.resolve("b.png")); // after the driver listed it
        List<Prepared> loaded = new ArrayList<>();
        DataException e = assertThrows(DataException.class, () -> source.slice(0, 2).load(storage, loaded::add));
        assertTrue(e.getMessage().matches("prepare: file:.*/images/b\\.png was listed by the driver but executor driver"
                + " on .* cannot find it: a file: source must be at the same path on every machine that runs executors"
                + " \\(a shared mount\\), or on hdfs:// or s3a://; or the file was deleted while prepare ran"),
                e.getMessage());
        assertEquals(1, loaded.size(), "a.png was loaded before");
    }

    @Test
    void anIdxFileTheExecutorCannotFindIsAClearErrorToo() throws IOException {
        TestSpark.context();
        Path idx = Files.createDirectories(tmp.resolve("idx"));
        for (String file : List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")) {
            Files.copy(FashionMnistPrepareTest.DEBIAN.resolve(file), idx.resolve(file));
        }
        DatasetSource source = DatasetSources.open(config(idx.toString()), storage);
        assertEquals(60_000, source.size(0));
        Files.delete(idx.resolve("train-images-idx3-ubyte.gz"));
        DataException e = assertThrows(DataException.class, () -> source.slice(0, 10).load(storage, p -> { }));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte.gz was listed by the driver but executor driver on ")
                && e.getMessage().contains("a file: source must be at the same path on every machine"), e.getMessage());
    }
}

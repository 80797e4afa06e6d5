package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.config.ConfigException;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.io.Storage;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A conditional GAN (model.conditional) on real Fashion-MNIST labels: driver and collective modes bit
 * for bit, with hinge loss and spectral norm (SNGAN's projection recipe); a resume from the middle
 * bit-identical; sample grids with a row per class; and a clear stop on a dataset without labels.
 */
class ConditionalTrainingTest {
    @TempDir
    Path tmp;

    private SparkganConfig config(String runId, String... sets) {
        List<String> all = new ArrayList<>(List.of("data.source=data-manifests/fashion-mnist.conf",
                "data.shards=" + tmp.resolve("shards"), "data.limit=400", "model.conditional=true",
                "train.workers=2", "train.batch-per-worker=8", "train.steps=6", "train.checkpoint-every=3",
                "train.sample-every=1000", "train.sample-count=16"));
        all.addAll(Arrays.asList(sets));
        return TrainingFixtures.config(tmp, runId, all.toArray(String[]::new));
    }

    private TrainingJob.Result train(String runId, String... sets) throws IOException {
        return TrainingJob.run(config(runId, sets), TestSpark.context(), Storage.local());
    }

    @Test
    void trainsTheSameBitsInBothModesAndOnResumeWithARowPerClassInItsGrids() throws IOException {
        String[] recipe = {"train.loss=hinge", "model.spectral-norm=true", "model.d-norm=none"};
        TrainingJob.Result driver = train("driver", with(recipe, "train.sync=driver"));
        TrainingJob.Result collective = train("collective", with(recipe, "train.sync=collective"));
        assertEquals(driver.generatorSha256(), collective.generatorSha256());
        assertEquals(driver.discriminatorSha256(), collective.discriminatorSha256());

        train("resumed", with(recipe, "train.sync=collective", "train.steps=3"));
        Files.delete(tmp.resolve("resumed/_SUCCESS"));
        TrainingJob.Result resumed = train("resumed", with(recipe, "train.sync=driver"));
        assertEquals(driver.generatorSha256(), resumed.generatorSha256());
        assertEquals(driver.discriminatorSha256(), resumed.discriminatorSha256());

        TrainingJob.Result unconditional = train("plain", with(recipe, "model.conditional=false"));
        assertNotEquals(driver.generatorSha256(), unconditional.generatorSha256());

        // ten classes × √16 columns of 28-pixel images with 2-pixel borders
        BufferedImage grid = ImageIO.read(tmp.resolve("driver/samples/step-00000006.png").toFile());
        assertEquals(4 * 30 + 2, grid.getWidth());
        assertEquals(10 * 30 + 2, grid.getHeight());
        BufferedImage plainGrid = ImageIO.read(tmp.resolve("plain/samples/step-00000006.png").toFile());
        assertEquals(4 * 30 + 2, plainGrid.getHeight(), "an unconditional grid stays square");
    }

    @Test
    void aDatasetWithoutLabelsStopsAConditionalRunBeforeItStarts() {
        ConfigException e = assertThrows(ConfigException.class, () -> TrainingFixtures.trainSmall(TestSpark.context(),
                tmp, "unlabelled", 5, 2, false, "model.conditional=true"));
        assertTrue(e.getMessage().contains("model.conditional = true needs a labelled dataset of at least 2 classes")
                && e.getMessage().contains("has no labels") && e.getMessage().contains("set model.conditional = false"),
                e.getMessage());
        assertFalse(Files.exists(tmp.resolve("unlabelled")), "nothing written");
    }

    @Test
    void imagesWithoutALabelStopAConditionalRunNamingHowMany() throws IOException {
        Path folder = tmp.resolve("folder");
        for (String path : List.of("tops/a.png", "tops/b.png", "boots/c.png", "boots/d.png", "loose.png")) {
            Path file = folder.resolve(path);
            Files.createDirectories(file.getParent());
            BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            image.getRaster().setSample(path.length(), 3, 0, 200);
            ImageIO.write(image, "png", file.toFile());
        }
        SparkganConfig config = config("partly", "data.source=" + folder, "data.shards=" + tmp.resolve("folder-shards"),
                "train.batch-per-worker=2");
        ConfigException e = assertThrows(ConfigException.class,
                () -> TrainingJob.run(config, TestSpark.context(), Storage.local()));
        assertTrue(e.getMessage().contains("model.conditional = true needs a label for every image, and 1 of the 5"
                + " images in " + tmp.resolve("folder-shards") + " have none"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("partly/checkpoints")), "no training happened");
    }

    @Test
    void aDatasetOfPairsIsRefusedByTheArchitecturesThatGenerateFromNoise() {
        SparkganConfig config = config("pairs", "model.conditional=false", "data.layout=aligned",
                "data.source=data-manifests/fashion-mnist-edges.conf", "data.shards=" + tmp.resolve("pair-shards"),
                "data.limit=32");
        ConfigException e = assertThrows(ConfigException.class,
                () -> TrainingJob.run(config, TestSpark.context(), Storage.local()));
        assertTrue(e.getMessage().contains("data.layout = aligned: " + tmp.resolve("pair-shards") + " holds pairs")
                && e.getMessage().contains("model.architecture = dcgan generates images from noise")
                && e.getMessage().contains("(model.architecture = pix2pix)"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("pairs/checkpoints")), "no training happened");
    }

    private static String[] with(String[] sets, String... more) {
        String[] all = Arrays.copyOf(sets, sets.length + more.length);
        System.arraycopy(more, 0, all, sets.length, more.length);
        return all;
    }
}

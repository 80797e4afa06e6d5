package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.DataConfig;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.model.Normalisation;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/** fid takes the networks from the run's run.conf: also one written before model.batch-norm was replaced. */
class FidRunConfTest {

    private static SparkganConfig loadPinned(String runConf) {
        Config parsed = FidCommand.upgraded(ConfigLoader.parse(new StringReader(runConf), "run.conf"));
        List<String> pinned = FidCommand.pinnedByTheRun(parsed);
        assertFalse(pinned.stream().anyMatch(p -> p.startsWith("model.batch-norm")), pinned.toString());
        return ConfigLoader.load((Path) null, pinned);
    }

    @Test
    void anOldRunConfWithBatchNormScoresWithTheSameNetworks() {
        SparkganConfig off = loadPinned("model { latent-dim = 64, g-features = 16, d-features = 16, batch-norm = false }");
        assertEquals(Normalisation.NONE, off.model().generatorNorm());
        assertEquals(Normalisation.NONE, off.model().discriminatorNorm());
        assertEquals(64, off.model().latentDim());
        SparkganConfig on = loadPinned("model { batch-norm = true }");
        assertEquals(Normalisation.BATCH, on.model().generatorNorm());
        assertEquals(Normalisation.BATCH, on.model().discriminatorNorm());
    }

    @Test
    void stringSettingsOfTheRunArePinnedAsTheyAre() {
        SparkganConfig c = loadPinned("model { g-norm = \"none\", d-norm = \"layer\", spectral-norm = true }");
        assertEquals(Normalisation.NONE, c.model().generatorNorm());
        assertEquals(Normalisation.LAYER, c.model().discriminatorNorm());
        assertTrue(c.model().spectralNorm());
    }

    @Test
    void aTranslationRunsLayoutAndDirectionArePinned() {
        SparkganConfig c = loadPinned("model.architecture = pix2pix\ndata { layout = aligned, direction = BtoA, image-size = 32 }");
        assertTrue(c.data().paired());
        assertEquals(DataConfig.Direction.B_TO_A, c.data().direction(), "fid scores the half G was trained to map");
    }
}

package io.sparkgan.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.TrainConfig;
import io.sparkgan.model.Noise;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptimiserAndSamplingTest {
    @Test
    void adamFirstStepMovesEachParameterByTheLearningRateAgainstItsGradient() {
        // With bias correction, step 1 is lr · g / (|g| + eps): a move of lr against the gradient's sign.
        Adam adam = new Adam(3, 0.01, 0.5, 0.999, 1e-8);
        float[] params = {1f, 1f, 1f};
        adam.step(params, new float[] {4f, -0.5f, 0f});
        assertEquals(0.99f, params[0], 1e-6f);
        assertEquals(1.01f, params[1], 1e-6f);
        assertEquals(1f, params[2], 0f);
        // Step 2 by hand: m = 0.5·m + 0.5·g, v = 0.999·v + 0.001·g², corrected by 1−0.5² and 1−0.999².
        adam.step(params, new float[] {2f, 0f, 0f});
        double m = 0.5 * (0.5 * 4) + 0.5 * 2;
        double v = 0.999 * (0.001 * 16) + 0.001 * 4;
        double expected = 0.99 - 0.01 * (m / (1 - 0.25)) / (Math.sqrt(v / (1 - 0.999 * 0.999)) + 1e-8);
        assertEquals(expected, params[0], 1e-6);
        assertEquals(2, adam.steps());
    }

    /** The half-life is in images: an old generator's weight halves every half-life, whatever the batch. */
    @Test
    void emaHalvesAnOldGeneratorsWeightEveryHalfLife() {
        for (long batch : new long[] {16, 64, 640}) {
            Ema ema = new Ema(new float[] {1f}, 6400, 0, batch);
            for (long seen = 0; seen < 6400; seen += batch) {
                ema.update(new float[] {0f});
            }
            assertEquals(0.5, ema.average()[0], 1e-5, "batch " + batch);
        }
    }

    /** Ramp-up: early on the half-life is rampup × the images seen, so the first generators fade fast. */
    @Test
    void emaRampsUpWithTheImagesSeen() {
        Ema ema = new Ema(new float[] {0f}, 10_000, 0.05, 64);
        assertEquals(Math.pow(0.5, 64 / (0.05 * 64)), ema.decay(1), 1e-12, "step 1: half-life 3.2 images");
        assertEquals(Math.pow(0.5, 64 / (0.05 * 64 * 937)), ema.decay(937), 1e-12, "one epoch: 3,000 images");
        assertEquals(Math.pow(0.5, 64 / 10_000.0), ema.decay(100_000), 1e-12, "later: the half-life itself");
        ema.update(new float[] {10f});
        assertEquals(10f, ema.average()[0], 1e-4f, "the random initial weights are all but gone after one update");
    }

    @Test
    void noiseDependsOnSlotNotOnHowSlotsAreGrouped() {
        float[] whole = Noise.latent(42, 5, 0, 0, 8, 3);
        float[] secondHalf = Noise.latent(42, 5, 0, 4, 4, 3);
        assertArrayEquals(Arrays.copyOfRange(whole, 12, 24), secondHalf);
        assertFalse(Arrays.equals(whole, Noise.latent(42, 6, 0, 0, 8, 3)), "another step, other noise");
    }

    @Test
    void nonFiniteGradientStopsTrainingNamingStepAndNetwork() {
        Guard guard = new Guard(train());
        assertTrue(guard.admit(40, "discriminator", 3.0, new float[] {0f, 1f}));
        TrainingException e = assertThrows(TrainingException.class,
                () -> guard.admit(41, "discriminator", 3.0, new float[] {0f, Float.NaN}));
        assertTrue(e.getMessage().startsWith("step 42: the discriminator gradient holds NaN (at index 1)"), e.getMessage());
        assertEquals(41, e.step());
        TrainingException loss = assertThrows(TrainingException.class,
                () -> guard.admit(0, "generator", Double.POSITIVE_INFINITY, new float[] {0f}));
        assertTrue(loss.getMessage().startsWith("step 1: the generator loss is Infinity"), loss.getMessage());
    }

    @Test
    void skipModeSkipsNonFiniteUpdatesUntilTooManyStepsInARow() {
        Guard guard = new Guard(train("train.on-non-finite=skip", "train.non-finite-skip-limit=2"));
        float[] nan = {Float.NaN};
        assertFalse(guard.admit(0, "discriminator", 1.0, nan));
        assertFalse(guard.admit(0, "generator", 1.0, nan), "a second skip in the same step counts once");
        guard.stepDone(0);
        assertTrue(guard.admit(1, "discriminator", 1.0, new float[] {1f}));
        guard.stepDone(1); // a clean step resets the count
        assertFalse(guard.admit(2, "generator", Double.NaN, new float[] {1f}));
        guard.stepDone(2);
        assertFalse(guard.admit(3, "generator", Double.NaN, new float[] {1f}));
        guard.stepDone(3);
        TrainingException e = assertThrows(TrainingException.class,
                () -> guard.admit(4, "generator", Double.NaN, new float[] {1f}));
        assertTrue(e.getMessage().startsWith("step 5: the generator loss is NaN; that is 3 steps in a row"),
                e.getMessage());
        assertTrue(e.getMessage().contains("train.non-finite-skip-limit = 2"), e.getMessage());
    }

    private static TrainConfig train(String... sets) {
        return ConfigLoader.load((Path) null, List.of(sets)).train();
    }
}

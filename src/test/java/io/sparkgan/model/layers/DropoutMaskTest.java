package io.sparkgan.model.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.model.Noise;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Dropout's masks are keyed by (seed, step, round, layer, slot): two workers of 4 images draw what one
 * worker of 8 draws, so a run with dropout keeps its bits at any worker count; the rate is the share
 * dropped, and the kept values are scaled by 1/(1 − rate).
 */
class DropoutMaskTest {
    @Test
    void masksArePerSlotWithTheRateAskedFor() {
        float[] whole = Noise.dropout(3, 10, 0, 2, 0, 8, 50, 0.5);
        float[] first = Noise.dropout(3, 10, 0, 2, 0, 4, 50, 0.5);
        float[] second = Noise.dropout(3, 10, 0, 2, 4, 4, 50, 0.5);
        assertArrayEquals(whole, concat(first, second));
        assertFalse(Arrays.equals(whole, Noise.dropout(3, 11, 0, 2, 0, 8, 50, 0.5)), "another step, other masks");
        assertFalse(Arrays.equals(whole, Noise.dropout(3, 10, 0, 3, 0, 8, 50, 0.5)), "another layer, other masks");

        float[] many = Noise.dropout(1, 0, 0, 0, 0, 100, 1000, 0.3);
        long dropped = 0;
        for (float v : many) {
            assertTrue(v == 0f || v == (float) (1 / 0.7), "0 or 1/(1 − rate): " + v);
            dropped += v == 0f ? 1 : 0;
        }
        assertEquals(0.3, dropped / (double) many.length, 0.01); // 100,000 draws: σ ≈ 0.0015
    }

    private static float[] concat(float[] a, float[] b) {
        float[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}

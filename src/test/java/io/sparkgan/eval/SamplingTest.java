package io.sparkgan.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SamplingTest {
    @Test
    void slerpStartsAndEndsAtTheSeedsAndKeepsTheNormOfOrthogonalEnds() {
        float[] a = {3, 0, 0, 0};
        float[] b = {0, 3, 0, 0};
        float[] z = Sampling.interpolate(a, b, 5);
        assertArrayEquals(a, Arrays.copyOfRange(z, 0, 4), 1e-6f);
        assertArrayEquals(b, Arrays.copyOfRange(z, 16, 20), 1e-6f);
        float[] middle = Arrays.copyOfRange(z, 8, 12);
        assertEquals(3.0, Math.hypot(middle[0], middle[1]), 1e-5, "a straight line would give 2.12");
        assertEquals(middle[0], middle[1], 1e-6);
    }

    @Test
    void parallelEndsFallBackToTheStraightLine() {
        float[] z = Sampling.interpolate(new float[] {1, 1}, new float[] {2, 2}, 3);
        assertArrayEquals(new float[] {1, 1, 1.5f, 1.5f, 2, 2}, z, 1e-6f);
    }

    @Test
    void fileNamesSortInIndexOrder() {
        assertEquals("sample-00000042.png", Sampling.fileName(42));
    }
}

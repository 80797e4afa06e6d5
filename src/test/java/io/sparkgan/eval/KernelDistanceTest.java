package io.sparkgan.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class KernelDistanceTest {
    private static final int D = 16;

    @Test
    void sameDistributionIsNearZeroAndAShiftIsClearlyPositive() {
        Random random = new Random(11);
        double[][] real = gaussianRows(random, 1000, 0);
        double[][] same = gaussianRows(random, 1000, 0);
        double[][] shifted = gaussianRows(random, 1000, 0.5);
        KernelDistance.Result none = KernelDistance.of(real, same, 20, 500, 1);
        KernelDistance.Result shift = KernelDistance.of(real, shifted, 20, 500, 1);
        System.out.printf("KID same distribution %s, shifted by 0.5 %s%n", none, shift);
        assertTrue(shift.mean() > 10 * shift.std(), "shifted: " + shift);
        assertTrue(Math.abs(none.mean()) < 0.01 * shift.mean(), "same distribution: " + none + ", shifted: " + shift);
        assertEquals(20, shift.subsets());
        assertEquals(500, shift.subsetSize());
    }

    /** With the subset as large as both sets, the one subset is all rows in some order. */
    @Test
    void oneFullSubsetEqualsTheDirectEstimator() {
        Random random = new Random(12);
        double[][] x = gaussianRows(random, 60, 0);
        double[][] y = gaussianRows(random, 60, 0.3);
        KernelDistance.Result result = KernelDistance.of(x, y, 1, 60, 3);
        double direct = directUnbiasedMmd2(x, y);
        assertEquals(direct, result.mean(), 1e-12 * Math.abs(direct));
        assertEquals(0, result.std());
    }

    @Test
    void subsetSizeShrinksToTheSmallerSet() {
        Random random = new Random(13);
        double[][] x = gaussianRows(random, 30, 0);
        double[][] y = gaussianRows(random, 45, 0.3);
        KernelDistance.Result result = KernelDistance.of(x, y, 5, 1000, 3);
        assertEquals(30, result.subsetSize());
        assertTrue(result.std() > 0, "different subsets of y give different estimates");
    }

    @Test
    void theSameSeedGivesTheSameValue() {
        Random random = new Random(14);
        double[][] x = gaussianRows(random, 200, 0);
        double[][] y = gaussianRows(random, 200, 0.2);
        KernelDistance.Result first = KernelDistance.of(x, y, 10, 50, 42);
        KernelDistance.Result again = KernelDistance.of(x, y, 10, 50, 42);
        KernelDistance.Result other = KernelDistance.of(x, y, 10, 50, 43);
        assertEquals(first, again);
        assertNotEquals(first.mean(), other.mean());
    }

    @Test
    void unusableInputsAreRejected() {
        double[][] x = {{1, 2}, {3, 4}};
        String dims = assertThrows(IllegalArgumentException.class,
                () -> KernelDistance.of(x, new double[][] {{1, 2, 3}, {4, 5, 6}}, 1, 2, 0)).getMessage();
        assertTrue(dims.contains("dimension 2") && dims.contains("have 3"), dims);
        String tiny = assertThrows(IllegalArgumentException.class,
                () -> KernelDistance.of(x, new double[][] {{1, 2}}, 1, 10, 0)).getMessage();
        assertTrue(tiny.contains("at least 2 rows"), tiny);
        String nan = assertThrows(IllegalArgumentException.class,
                () -> KernelDistance.of(x, new double[][] {{1, 2}, {Double.NaN, 0}}, 1, 2, 0)).getMessage();
        assertTrue(nan.contains("fake feature row 1"), nan);
    }

    /** MMD²ᵤ straight from its definition, kernel evaluated pair by pair. */
    private static double directUnbiasedMmd2(double[][] x, double[][] y) {
        int m = x.length;
        int n = y.length;
        double xx = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                if (i != j) {
                    xx += kernel(x[i], x[j]);
                }
            }
        }
        double yy = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                if (i != j) {
                    yy += kernel(y[i], y[j]);
                }
            }
        }
        double xy = 0;
        for (double[] a : x) {
            for (double[] b : y) {
                xy += kernel(a, b);
            }
        }
        return xx / (m * (m - 1.0)) + yy / (n * (n - 1.0)) - 2 * xy / ((double) m * n);
    }

    private static double kernel(double[] a, double[] b) {
        double dot = 0;
        for (int k = 0; k < a.length; k++) {
            dot += a[k] * b[k];
        }
        double base = dot / a.length + 1;
        return base * base * base;
    }

    private static double[][] gaussianRows(Random random, int n, double shift) {
        double[][] rows = new double[n][D];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < D; j++) {
                rows[i][j] = random.nextGaussian() + shift;
            }
        }
        return rows;
    }
}

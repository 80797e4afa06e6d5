package io.sparkgan.eval;

import io.sparkgan.runtime.NativeSelfCheck;
import io.sparkgan.runtime.WrongKernelException;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A check of a native double product C = A·B on the very matrices the metrics multiply (the feature
 * statistics' scatter, KID's kernel matrices, precision/recall's distances), after the self-check has
 * cleared the kernel at their shapes: a wrong answer there would change a report's figures and go
 * unseen. Freivalds' check ("Fast probabilistic algorithms", 1977) from the left: for a random ±1
 * vector r, rᵀC must equal (rᵀA)·B, which costs O(mk + kn + mn) against the product's O(mkn).
 * Each column j of the difference is held to c·(k + 2m + 2)·u·(1ᵀ|A||B|)ⱼ, the rounding a correct
 * product and these sums may have (c = 4, u = 2⁻⁵³); a wrong entry of C beyond that shows in its
 * column whatever the signs, unless other wrong entries cancel it, which two probes make unlikely.
 */
final class CheckedProduct {
    private static final double U = 0x1p-53;

    /** Entry (i, p) of an operand as the product uses it (transposed where the product transposes it). */
    interface Operand {
        double at(int row, int column);
    }

    private CheckedProduct() {
    }

    /** An operand stored row-major in {@code values} with {@code columns} columns, used as is or transposed. */
    static Operand rowMajor(double[] values, int columns, boolean transposed) {
        return transposed ? (i, p) -> values[p * columns + i] : (i, p) -> values[i * columns + p];
    }

    /**
     * Checks {@code c} (row-major m × n) against A (m × k) times B (k × n); throws
     * {@link WrongKernelException} naming {@code what} and the worst column when it is not their product.
     */
    static void verify(String what, double[] c, int m, int k, int n, Operand a, Operand b) {
        SplittableRandom random = new SplittableRandom(31L * m + 17L * k + n);
        double[] r = new double[m];
        double[] ra = new double[k];
        double[] absA = new double[k];
        double[] rc = new double[n];
        for (int probe = 0; probe < 2; probe++) {
            Arrays.fill(ra, 0);
            Arrays.fill(absA, 0);
            Arrays.fill(rc, 0);
            for (int i = 0; i < m; i++) {
                r[i] = random.nextBoolean() ? 1 : -1;
                for (int p = 0; p < k; p++) {
                    double v = a.at(i, p);
                    ra[p] += r[i] * v;
                    absA[p] += Math.abs(v);
                }
                int row = i * n;
                for (int j = 0; j < n; j++) {
                    rc[j] += r[i] * c[row + j];
                }
            }
            double worstRatio = 0;
            int worstColumn = -1;
            double worstError = 0;
            double worstBound = 0;
            for (int j = 0; j < n; j++) {
                double expected = 0;
                double magnitude = 0;
                for (int p = 0; p < k; p++) {
                    double v = b.at(p, j);
                    expected += ra[p] * v;
                    magnitude += absA[p] * Math.abs(v);
                }
                double error = Math.abs(rc[j] - expected);
                double bound = 4 * (k + 2.0 * m + 2) * U * magnitude + Double.MIN_NORMAL;
                double ratio = Double.isFinite(rc[j]) ? error / bound : Double.POSITIVE_INFINITY;
                if (ratio > worstRatio) {
                    worstRatio = ratio;
                    worstColumn = j;
                    worstError = error;
                    worstBound = bound;
                }
            }
            if (worstRatio > 1) {
                throw new WrongKernelException(NativeSelfCheck.wrongProductMessage(what, m, k, n, worstColumn,
                        worstError, worstBound));
            }
        }
    }
}

package io.sparkgan.eval;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The Kernel Inception Distance of Bińkowski, Sutherland, Arbel and Gretton ("Demystifying MMD
 * GANs", ICLR 2018): the unbiased estimate of the squared maximum mean discrepancy between real and
 * generated features under the cubic polynomial kernel k(x, y) = (xᵀy / d + 1)³,
 *
 * <pre>
 *   MMD²ᵤ = 1/(m(m−1)) Σ_{i≠j} k(xi, xj) + 1/(m(m−1)) Σ_{i≠j} k(yi, yj) − 2/m² Σ_{i,j} k(xi, yj),
 * </pre>
 *
 * averaged over random subsets of m rows drawn without replacement from each set, as the paper's
 * code does (usually 100 subsets of 1000). Unlike FID it has an unbiased estimator, so it can be
 * compared across sample sizes, and it can come out slightly negative when the two sets have the
 * same distribution.
 *
 * <p>Features are {@code double[][]}, one row per sample (what executors send back to the driver);
 * the kernel matrices are ND4J double matrix products. Subsets come from a {@link SplittableRandom}
 * with the given seed, so the same inputs and seed give the same value.
 */
public final class KernelDistance {

    /**
     * Mean and standard deviation (population, ddof = 0, as the reference code reports it) of the
     * MMD² estimates over {@code subsets} subsets of {@code subsetSize} rows per set.
     */
    public record Result(double mean, double std, int subsets, int subsetSize) {
    }

    private KernelDistance() {
    }

    /**
     * KID of {@code fake} against {@code real}. A subset size larger than either set is reduced to
     * min(real.length, fake.length), so that small sample counts still give an estimate (with a
     * larger spread) instead of failing.
     */
    public static Result of(double[][] real, double[][] fake, int subsets, int subsetSize, long seed) {
        if (subsets < 1) {
            throw new IllegalArgumentException("KID needs at least 1 subset, got " + subsets);
        }
        int d = dimension(real, "real");
        if (dimension(fake, "fake") != d) {
            throw new IllegalArgumentException("real features have dimension " + d + " but fake features have "
                    + fake[0].length);
        }
        int m = Math.min(subsetSize, Math.min(real.length, fake.length));
        if (m < 2) {
            throw new IllegalArgumentException("KID needs subsets of at least 2 rows; subset size " + subsetSize
                    + " with " + real.length + " real and " + fake.length + " fake rows gives " + m);
        }
        SplittableRandom random = new SplittableRandom(seed);
        int[] realOrder = identity(real.length);
        int[] fakeOrder = identity(fake.length);
        double[] estimates = new double[subsets];
        for (int s = 0; s < subsets; s++) {
            INDArray x = rows(real, drawWithoutReplacement(realOrder, m, random), d);
            INDArray y = rows(fake, drawWithoutReplacement(fakeOrder, m, random), d);
            estimates[s] = unbiasedMmd2(x, y);
        }
        double mean = 0;
        for (double e : estimates) {
            mean += e;
        }
        mean /= subsets;
        double squares = 0;
        for (double e : estimates) {
            squares += (e - mean) * (e - mean);
        }
        return new Result(mean, Math.sqrt(squares / subsets), subsets, m);
    }

    /** The unbiased MMD² estimate between the rows of {@code x} [m, d] and {@code y} [n, d] (DOUBLE). */
    static double unbiasedMmd2(INDArray x, INDArray y) {
        long m = x.rows();
        long n = y.rows();
        double d = x.columns();
        double[] xs = Nd4j.toFlattened('c', x).toDoubleVector();
        double[] ys = Nd4j.toFlattened('c', y).toDoubleVector();
        double xx = kernelSum(checked(x.mmul(x.transpose()), xs, xs, (int) d), (int) m, d, true);
        double yy = kernelSum(checked(y.mmul(y.transpose()), ys, ys, (int) d), (int) n, d, true);
        double xy = kernelSum(checked(x.mmul(y.transpose()), xs, ys, (int) d), (int) m, d, false);
        return xx / (m * (m - 1.0)) + yy / (n * (n - 1.0)) - 2 * xy / ((double) m * n);
    }

    /** The matrix of dot products P·Qᵀ, as its values, after {@link CheckedProduct} found it right. */
    private static double[] checked(INDArray dots, double[] p, double[] q, int d) {
        double[] values = Nd4j.toFlattened('c', dots).toDoubleVector();
        CheckedProduct.verify("KID's kernel matrix", values, (int) dots.rows(), d, (int) dots.columns(),
                CheckedProduct.rowMajor(p, d, false), CheckedProduct.rowMajor(q, d, true));
        return values;
    }

    /**
     * Σ k over a matrix of dot products, leaving out its diagonal when asked. The cubic and the sum
     * run in plain Java on the copied-out matrix: one pass over m² doubles costs less than the
     * three or four ND4J operations it replaces would each take to dispatch. Rows are summed first
     * so rounding grows with m rather than m².
     */
    private static double kernelSum(double[] values, int rows, double d, boolean withoutDiagonal) {
        int columns = values.length / rows;
        double total = 0;
        for (int i = 0; i < rows; i++) {
            double rowSum = 0;
            int base = i * columns;
            for (int j = 0; j < columns; j++) {
                if (withoutDiagonal && i == j) {
                    continue;
                }
                double k = values[base + j] / d + 1;
                rowSum += k * k * k;
            }
            total += rowSum;
        }
        return total;
    }

    /**
     * A uniformly random m-subset: a partial Fisher–Yates shuffle of {@code order}. Any starting
     * arrangement of {@code order} gives a uniform draw, so one array serves every subset.
     */
    private static int[] drawWithoutReplacement(int[] order, int m, SplittableRandom random) {
        for (int i = 0; i < m; i++) {
            int j = i + random.nextInt(order.length - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return Arrays.copyOf(order, m);
    }

    private static INDArray rows(double[][] features, int[] indices, int d) {
        double[] flat = new double[indices.length * d];
        for (int r = 0; r < indices.length; r++) {
            System.arraycopy(features[indices[r]], 0, flat, r * d, d);
        }
        return Nd4j.createFromArray(flat).reshape('c', indices.length, d);
    }

    private static int[] identity(int n) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        return order;
    }

    private static int dimension(double[][] features, String name) {
        if (features.length == 0) {
            throw new IllegalArgumentException("no " + name + " features for KID");
        }
        int d = features[0].length;
        if (d == 0) {
            throw new IllegalArgumentException(name + " features have dimension 0");
        }
        for (int i = 0; i < features.length; i++) {
            if (features[i].length != d) {
                throw new IllegalArgumentException(name + " feature row " + i + " has " + features[i].length
                        + " values, row 0 has " + d);
            }
            for (int j = 0; j < d; j++) {
                if (!Double.isFinite(features[i][j])) {
                    throw new IllegalArgumentException(name + " feature row " + i + " has a non-finite value at index " + j);
                }
            }
        }
        return d;
    }
}

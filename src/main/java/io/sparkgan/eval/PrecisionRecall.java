package io.sparkgan.eval;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Improved precision and recall (Kynkäänniemi et al., "Improved Precision and Recall Metric for
 * Assessing Generative Models", 2019): each set of feature vectors stands for a manifold, the union
 * of balls around its points whose radius is the distance to the point's k-th nearest neighbour in
 * the same set. Precision is the fraction of generated samples inside the real manifold (are they
 * realistic?), recall the fraction of real samples inside the generated manifold (is the data
 * covered?). k = {@value #K}, the paper's choice.
 *
 * <p>Computed on the driver from the feature rows the FID stage keeps for KID (up to 10,000 per set,
 * fewer than the paper's 50,000, which makes both figures a little lower). Squared distances come
 * from ‖a‖² + ‖b‖² − 2a·b in double precision, a block of rows at a time so that memory stays at
 * {@value #BLOCK} × n doubles.
 */
final class PrecisionRecall {
    static final int K = 3;
    static final int BLOCK = 256;

    record Result(double precision, double recall) {}

    private PrecisionRecall() {
    }

    /**
     * The real set's radii by the identity of its rows: the real side is the same for every checkpoint
     * a FID stage scores, and its k-NN search is a quarter of the work.
     */
    private static final Map<double[][], double[]> REAL_RADII =
            Collections.synchronizedMap(new WeakHashMap<>());

    static Result of(double[][] real, double[][] generated) {
        if (real.length <= K || generated.length <= K) {
            return new Result(Double.NaN, Double.NaN);
        }
        INDArray r = Nd4j.createFromArray(real).castTo(DataType.DOUBLE);
        INDArray g = Nd4j.createFromArray(generated).castTo(DataType.DOUBLE);
        double[] realRadii = REAL_RADII.computeIfAbsent(real, rows -> kthNeighbourDistances(r));
        double[] generatedRadii = kthNeighbourDistances(g);
        return new Result(fractionInside(g, r, realRadii), fractionInside(r, g, generatedRadii));
    }

    /** Squared distance from each point to its k-th nearest other point of the same set. */
    static double[] kthNeighbourDistances(INDArray points) {
        int n = (int) points.rows();
        double[] radii = new double[n];
        double[] flat = Nd4j.toFlattened('c', points).toDoubleVector();
        for (int from = 0; from < n; from += BLOCK) {
            int to = Math.min(n, from + BLOCK);
            double[][] d = squaredDistances(rows(points, from, to), points, flat, from, flat);
            for (int i = 0; i < d.length; i++) {
                d[i][from + i] = Double.POSITIVE_INFINITY; // not its own neighbour
                radii[from + i] = kthSmallest(d[i], K);
            }
        }
        return radii;
    }

    /** The fraction of {@code points} within the radius of at least one point of {@code manifold}. */
    static double fractionInside(INDArray points, INDArray manifold, double[] radii) {
        int n = (int) points.rows();
        long inside = 0;
        double[] pointsFlat = Nd4j.toFlattened('c', points).toDoubleVector();
        double[] manifoldFlat = Nd4j.toFlattened('c', manifold).toDoubleVector();
        for (int from = 0; from < n; from += BLOCK) {
            int to = Math.min(n, from + BLOCK);
            double[][] d = squaredDistances(rows(points, from, to), manifold, pointsFlat, from, manifoldFlat);
            for (double[] row : d) {
                for (int j = 0; j < row.length; j++) {
                    if (row[j] <= radii[j]) {
                        inside++;
                        break;
                    }
                }
            }
        }
        return (double) inside / n;
    }

    private static INDArray rows(INDArray points, int from, int to) {
        return points.get(NDArrayIndex.interval(from, to), NDArrayIndex.all());
    }

    /**
     * ‖aᵢ − bⱼ‖² for every pair, as ‖aᵢ‖² − 2 aᵢ·bⱼ + ‖bⱼ‖² clamped at 0 (the expansion can round
     * slightly below). The dot products are the native product, checked ({@link CheckedProduct}) against
     * the same rows held in plain arrays: {@code a} is rows [aFrom, …) of {@code aFlat}, {@code b} all of
     * {@code bFlat}.
     */
    private static double[][] squaredDistances(INDArray a, INDArray b, double[] aFlat, int aFrom, double[] bFlat) {
        int m = (int) a.rows();
        int n = (int) b.rows();
        int d = (int) a.columns();
        double[] aa = a.mul(a).sum(1).toDoubleVector();
        double[] bb = b.mul(b).sum(1).toDoubleVector();
        double[] dots = Nd4j.toFlattened('c', a.mmul(b.transpose())).toDoubleVector();
        CheckedProduct.verify("precision/recall's distances", dots, m, d, n,
                (i, p) -> aFlat[(aFrom + i) * d + p], CheckedProduct.rowMajor(bFlat, d, true));
        double[][] out = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                out[i][j] = Math.max(0, -2 * dots[i * n + j] + aa[i] + bb[j]);
            }
        }
        return out;
    }

    /** The k-th smallest value (1-based) of {@code values}, by partial selection. */
    private static double kthSmallest(double[] values, int k) {
        double[] smallest = new double[k];
        Arrays.fill(smallest, Double.POSITIVE_INFINITY);
        for (double v : values) {
            if (v < smallest[k - 1]) {
                int i = k - 1;
                while (i > 0 && smallest[i - 1] > v) {
                    smallest[i] = smallest[i - 1];
                    i--;
                }
                smallest[i] = v;
            }
        }
        return smallest[k - 1];
    }
}

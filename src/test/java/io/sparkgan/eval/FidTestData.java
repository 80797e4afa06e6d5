package io.sparkgan.eval;

import java.util.Arrays;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.CommonOps_MT_DDRM;

/**
 * Test data for {@link FrechetDistanceTest}: samples, covariances and random orthogonal matrices,
 * built in pure Java (EJML) so that no native kernel can spoil the references.
 */
final class FidTestData {
    private FidTestData() {
    }

    /** Rows of Z·(I + 0.5 R/√d) (Z, R standard normal), columns scaled by exp(spread·N(0, 1)). */
    static DMatrixRMaj correlatedSamples(Random random, int n, int d, double spread) {
        DMatrixRMaj z = new DMatrixRMaj(n, d, true, gaussian(random, n * d, 1));
        DMatrixRMaj mixing = new DMatrixRMaj(d, d, true, gaussian(random, d * d, 0.5 / Math.sqrt(d)));
        for (int i = 0; i < d; i++) {
            mixing.add(i, i, 1);
        }
        double[] scales = gaussian(random, d, spread);
        for (int j = 0; j < d; j++) {
            scales[j] = Math.exp(scales[j]);
        }
        return scaleColumns(times(z, mixing), scales);
    }

    /** Unbiased sample covariance by the two-pass formula (centre, then Xcᵀ Xc / (n − 1)). */
    static DMatrixRMaj sampleCovariance(DMatrixRMaj x) {
        DMatrixRMaj c = centred(x);
        DMatrixRMaj s = new DMatrixRMaj(x.numCols, x.numCols);
        CommonOps_DDRM.multTransA(1.0 / (x.numRows - 1), c, c, s);
        return symmetrise(s);
    }

    static double[] columnMeans(DMatrixRMaj x) {
        double[] mean = new double[x.numCols];
        for (int i = 0; i < x.numRows; i++) {
            for (int j = 0; j < x.numCols; j++) {
                mean[j] += x.get(i, j);
            }
        }
        for (int j = 0; j < x.numCols; j++) {
            mean[j] /= x.numRows;
        }
        return mean;
    }

    static DMatrixRMaj centred(DMatrixRMaj x) {
        double[] mean = columnMeans(x);
        DMatrixRMaj c = x.copy();
        for (int i = 0; i < x.numRows; i++) {
            for (int j = 0; j < x.numCols; j++) {
                c.add(i, j, -mean[j]);
            }
        }
        return c;
    }

    /**
     * A dense random orthogonal matrix Q = (1/d) H D1 P H D2 with H the Sylvester–Hadamard matrix, D1,
     * D2 random sign diagonals and P a random permutation, applied with fast Walsh–Hadamard transforms
     * in O(d² log d) per d × d matrix instead of a dense product.
     */
    static final class RandomOrthogonal {
        private final double[] signs1;
        private final double[] signs2;
        private final int[] permutation;

        RandomOrthogonal(Random random, int d) {
            signs1 = new double[d];
            signs2 = new double[d];
            permutation = new int[d];
            for (int i = 0; i < d; i++) {
                signs1[i] = random.nextBoolean() ? 1 : -1;
                signs2[i] = random.nextBoolean() ? 1 : -1;
                permutation[i] = i;
            }
            for (int i = d - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = permutation[i];
                permutation[i] = permutation[j];
                permutation[j] = t;
            }
        }

        /** Q X Qᵀ for a symmetric X, as Q (Q X)ᵀ. */
        DMatrixRMaj conjugate(DMatrixRMaj x) {
            return symmetrise(rows(transpose(rows(x, false)), false));
        }

        /** Qᵀ X Q for a symmetric X. */
        DMatrixRMaj conjugateTransposed(DMatrixRMaj x) {
            return symmetrise(rows(transpose(rows(x, true)), true));
        }

        /** Q M (or Qᵀ M = (1/d) D2 H Pᵀ D1 H M), acting on M's rows. */
        private DMatrixRMaj rows(DMatrixRMaj m, boolean transposed) {
            int d = signs1.length;
            double[][] r = new double[d][];
            for (int i = 0; i < d; i++) {
                r[i] = Arrays.copyOfRange(m.data, i * d, (i + 1) * d);
            }
            double[][] out = new double[d][];
            if (!transposed) {
                scaleRows(r, signs2);
                hadamardColumns(r);
                for (int i = 0; i < d; i++) {
                    out[i] = r[permutation[i]]; // (P M)_i = M_π(i)
                }
                scaleRows(out, signs1);
                hadamardColumns(out);
            } else {
                hadamardColumns(r);
                scaleRows(r, signs1);
                for (int i = 0; i < d; i++) {
                    out[permutation[i]] = r[i]; // (Pᵀ M)_π(i) = M_i
                }
                hadamardColumns(out);
                scaleRows(out, signs2);
            }
            DMatrixRMaj q = new DMatrixRMaj(out);
            CommonOps_DDRM.divide(q, d);
            return q;
        }

        private static void scaleRows(double[][] m, double[] s) {
            for (int i = 0; i < m.length; i++) {
                for (int j = 0; j < m[i].length; j++) {
                    m[i][j] *= s[i];
                }
            }
        }

        private static DMatrixRMaj transpose(DMatrixRMaj m) {
            return CommonOps_DDRM.transpose(m, null);
        }
    }

    static DMatrixRMaj diagonalMatrix(double[] values) {
        return CommonOps_DDRM.diag(values);
    }

    /** diag(s) M diag(s). */
    static DMatrixRMaj scaleRowsAndColumns(DMatrixRMaj m, double[] s) {
        DMatrixRMaj c = m.copy();
        for (int i = 0; i < m.numRows; i++) {
            for (int j = 0; j < m.numCols; j++) {
                c.data[i * m.numCols + j] *= s[i] * s[j];
            }
        }
        return c;
    }

    /** m ← H m in place (d a power of two), one butterfly pass per bit. */
    static void hadamardColumns(double[][] m) {
        int d = m.length;
        for (int h = 1; h < d; h *= 2) {
            for (int i = 0; i < d; i += 2 * h) {
                for (int r = i; r < i + h; r++) {
                    double[] top = m[r];
                    double[] bottom = m[r + h];
                    for (int j = 0; j < d; j++) {
                        double u = top[j];
                        double v = bottom[j];
                        top[j] = u + v;
                        bottom[j] = u - v;
                    }
                }
            }
        }
    }

    static double[] gaussian(Random random, int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = scale * random.nextGaussian();
        }
        return v;
    }

    static double[] diagonal(double[] values) {
        int d = values.length;
        double[] m = new double[d * d];
        for (int i = 0; i < d; i++) {
            m[i * d + i] = values[i];
        }
        return m;
    }

    static DMatrixRMaj times(DMatrixRMaj a, DMatrixRMaj b) {
        DMatrixRMaj c = new DMatrixRMaj(a.numRows, b.numCols);
        CommonOps_MT_DDRM.mult(a, b, c);
        return c;
    }

    /** A copy of m with column j multiplied by s[j]. */
    static DMatrixRMaj scaleColumns(DMatrixRMaj m, double[] s) {
        DMatrixRMaj c = m.copy();
        for (int i = 0; i < m.numRows; i++) {
            for (int j = 0; j < m.numCols; j++) {
                c.set(i, j, m.get(i, j) * s[j]);
            }
        }
        return c;
    }

    static DMatrixRMaj symmetrise(DMatrixRMaj m) {
        DMatrixRMaj t = new DMatrixRMaj(m.numCols, m.numRows);
        CommonOps_DDRM.transpose(m, t);
        DMatrixRMaj s = new DMatrixRMaj(m.numRows, m.numCols);
        CommonOps_DDRM.add(0.5, m, 0.5, t, s);
        return s;
    }

    static double[] toFlat(DMatrixRMaj m) {
        return m.data.clone();
    }

    static double trace(DMatrixRMaj m) {
        return CommonOps_DDRM.trace(m);
    }

    static double squaredDistance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return s;
    }
}

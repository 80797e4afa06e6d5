import java.util.Arrays;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.hipparchus.linear.Array2DRowRealMatrix;
import org.hipparchus.linear.EigenDecompositionSymmetric;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The symmetric eigensolvers the FID could use, on matrices of known spectrum: Q diag(λ) Qᵀ with Q a
 * randomised Hadamard product (orthogonal to rounding) and a tenth of λ zero, as a covariance of fewer
 * images than features has. Prints, per solver and d, the time and the largest eigenvalue error
 * relative to the largest eigenvalue, twice (the second run is warm). docs/eigensolver-bench.sh runs it.
 */
public class EigensolverBench {
    interface Solver {
        double[] eigenvalues(double[] a, int d);
    }

    public static void main(String[] args) {
        Nd4j.create(1);
        for (String arg : args) {
            int d = Integer.parseInt(arg);
            Random random = new Random(d);
            double[][] q = orthogonal(random, d);
            double[] lambda = new double[d];
            for (int i = 0; i < d; i++) {
                lambda[i] = random.nextDouble() < 0.1 ? 0 : Math.exp(4 * (random.nextDouble() - 0.5));
            }
            double[] a = new double[d * d];
            for (int i = 0; i < d; i++) {
                for (int j = 0; j <= i; j++) {
                    double s = 0;
                    for (int k = 0; k < d; k++) {
                        s += q[i][k] * lambda[k] * q[j][k];
                    }
                    a[i * d + j] = s;
                    a[j * d + i] = s;
                }
            }
            double[] exact = lambda.clone();
            Arrays.sort(exact);
            for (int run = 1; run <= 2; run++) {
                time("ejml values", d, a, exact, (m, n) -> ejml(m, n, false));
                time("ejml vectors", d, a, exact, (m, n) -> ejml(m, n, true));
                time("nd4j dsyev values", d, a, exact, (m, n) -> dsyev(m, n, 'N'));
                time("nd4j dsyev vectors", d, a, exact, (m, n) -> dsyev(m, n, 'V'));
                time("hipparchus vectors", d, a, exact, (m, n) -> {
                    double[][] rows = new double[n][];
                    for (int i = 0; i < n; i++) {
                        rows[i] = Arrays.copyOfRange(m, i * n, (i + 1) * n);
                    }
                    return new EigenDecompositionSymmetric(new Array2DRowRealMatrix(rows, false)).getEigenvalues();
                });
            }
        }
    }

    static double[] ejml(double[] a, int d, boolean vectors) {
        EigenDecomposition_F64<DMatrixRMaj> e = DecompositionFactory_DDRM.eig(d, vectors, true);
        if (!e.decompose(new DMatrixRMaj(d, d, true, a.clone()))) {
            throw new ArithmeticException("did not converge");
        }
        double[] v = new double[d];
        for (int i = 0; i < d; i++) {
            v[i] = e.getEigenvalue(i).real;
        }
        return v;
    }

    static double[] dsyev(double[] a, int d, char job) {
        INDArray m = Nd4j.createFromArray(a.clone()).reshape('c', d, d);
        INDArray v = Nd4j.create(DataType.DOUBLE, d);
        Nd4j.getBlasWrapper().lapack().syev(job, 'L', m, v);
        return v.toDoubleVector();
    }

    static void time(String name, int d, double[] a, double[] exact, Solver solver) {
        long started = System.nanoTime();
        double[] v;
        try {
            v = solver.eigenvalues(a, d);
        } catch (RuntimeException e) {
            System.out.printf("d=%5d %-20s FAILED (%s) after %.2f s%n", d, name, e.getMessage(),
                    (System.nanoTime() - started) / 1e9);
            return;
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        v = v.clone();
        Arrays.sort(v);
        double worst = 0;
        for (int i = 0; i < d; i++) {
            worst = Math.max(worst, Math.abs(v[i] - exact[i]));
        }
        System.out.printf("d=%5d %-20s %7.3f s  max |λ − λ*| / λmax %.2e%n", d, name, seconds, worst / exact[d - 1]);
    }

    /** (1/d) H D1 P H D2: Sylvester–Hadamard H, random signs D1, D2 and permutation P. */
    static double[][] orthogonal(Random random, int d) {
        double[][] m = new double[d][d];
        for (int i = 0; i < d; i++) {
            m[i][i] = random.nextBoolean() ? 1 : -1;
        }
        hadamard(m);
        int[] p = new int[d];
        for (int i = 0; i < d; i++) {
            p[i] = i;
        }
        for (int i = d - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        double[][] s = new double[d][];
        for (int i = 0; i < d; i++) {
            s[i] = m[p[i]];
            if (random.nextBoolean()) {
                for (int j = 0; j < d; j++) {
                    s[i][j] = -s[i][j];
                }
            }
        }
        hadamard(s);
        for (double[] row : s) {
            for (int j = 0; j < d; j++) {
                row[j] /= d;
            }
        }
        return s;
    }

    static void hadamard(double[][] m) {
        int d = m.length;
        for (int h = 1; h < d; h *= 2) {
            for (int i = 0; i < d; i += 2 * h) {
                for (int r = i; r < i + h; r++) {
                    for (int j = 0; j < d; j++) {
                        double u = m[r][j];
                        double v = m[r + h][j];
                        m[r][j] = u + v;
                        m[r + h][j] = u - v;
                    }
                }
            }
        }
    }
}

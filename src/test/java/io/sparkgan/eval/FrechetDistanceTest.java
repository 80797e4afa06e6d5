package io.sparkgan.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The eigen-based Fréchet distance against closed forms and against references that share no code
 * with it: a coupled Newton–Schulz iteration for the matrix square root (Higham, "Functions of
 * Matrices", 2008, eq. 6.35), and covariances constructed so that tr √(Σ1 Σ2) is known exactly.
 */
class FrechetDistanceTest {

    @Test
    void diagonalGaussiansMatchTheClosedForm() {
        double[] mu1 = {0.5, -1, 2, 0, 3.25, -0.75};
        double[] mu2 = {1.5, -1, 0, 0.125, 3, 1};
        double[] s1 = {1, 4, 0.25, 2, 0, 9};
        double[] s2 = {2, 1, 0.25, 0.5, 3, 1e-3};
        double expected = 0;
        for (int i = 0; i < 6; i++) {
            expected += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + s1[i] + s2[i] - 2 * Math.sqrt(s1[i] * s2[i]);
        }
        double fid = FrechetDistance.of(mu1, diagonal(s1), mu2, diagonal(s2), 6);
        assertEquals(expected, fid, 1e-12 * expected);
        FrechetDistance.Terms terms = FrechetDistance.terms(mu1, diagonal(s1), mu2, diagonal(s2), 6);
        assertEquals(1 + 0 + 4 + 0.125 * 0.125 + 0.0625 + 1.75 * 1.75, terms.meanTerm(), 1e-15);
        assertEquals(expected, terms.total(), 1e-12 * expected);
    }

    @Test
    void distanceFromStatisticsToThemselvesIsZero() {
        Random random = new Random(1);
        int d = 64;
        double[] mu = gaussian(random, d, 1);
        double[] sigma = toFlat(sampleCovariance(correlatedSamples(random, 300, d, 0)));
        double fid = FrechetDistance.of(mu, sigma, mu.clone(), sigma.clone(), d);
        assertTrue(Math.abs(fid) <= 1e-6, "FID(a, a) = " + fid);
    }

    @Test
    void distanceIsSymmetricInItsArguments() {
        Random random = new Random(2);
        int d = 64;
        double[] mu1 = gaussian(random, d, 1);
        double[] mu2 = gaussian(random, d, 1);
        double[] sigma1 = toFlat(sampleCovariance(correlatedSamples(random, 300, d, 0)));
        double[] sigma2 = toFlat(sampleCovariance(correlatedSamples(random, 200, d, 0.5)));
        double ab = FrechetDistance.of(mu1, sigma1, mu2, sigma2, d);
        double ba = FrechetDistance.of(mu2, sigma2, mu1, sigma1, d);
        assertTrue(ab > 1, "distinct Gaussians are far apart: " + ab);
        assertEquals(ab, ba, 1e-9 * ab);
    }

    @Test
    void agreesWithNewtonSchulzForSampleCovariances() {
        Random random = new Random(3);
        for (int d : new int[] {64, 256}) {
            INDArray x1 = correlatedSamples(random, 4 * d, d, 0);
            INDArray x2 = correlatedSamples(random, 3 * d, d, 0.8).addi(0.3);
            INDArray sigma1 = sampleCovariance(x1);
            INDArray sigma2 = sampleCovariance(x2);
            double[] mu1 = x1.mean(0).toDoubleVector();
            double[] mu2 = x2.mean(0).toDoubleVector();
            double reference = squaredDistance(mu1, mu2) + trace(sigma1) + trace(sigma2)
                    - 2 * traceSqrtNewtonSchulz(sigma1.mmul(sigma2));
            double fid = FrechetDistance.of(mu1, toFlat(sigma1), mu2, toFlat(sigma2), d);
            assertEquals(reference, fid, 1e-6 * reference, "d = " + d);
        }
    }

    /**
     * Fewer samples than dimensions, so both covariances are singular (rank n − 1), as FID at
     * d = 2048 is with small sample counts. For centred samples X1 [n1, d], X2 [n2, d] the non-zero
     * eigenvalues of Σ1 Σ2 are those of K Kᵀ with K = X1 X2ᵀ / √((n1 − 1)(n2 − 1)), an n1 × n1
     * matrix the reference iteration handles without the d − n zero eigenvalues.
     */
    @Test
    void agreesWithNewtonSchulzForRankDeficientCovariances() {
        Random random = new Random(4);
        int d = 128;
        int n1 = 40;
        int n2 = 60;
        INDArray x1 = correlatedSamples(random, n1, d, 0);
        INDArray x2 = correlatedSamples(random, n2, d, 0.5).addi(0.2);
        INDArray c1 = x1.subRowVector(x1.mean(0).reshape(1, d));
        INDArray c2 = x2.subRowVector(x2.mean(0).reshape(1, d));
        INDArray k = c1.mmul(c2.transpose()).divi(Math.sqrt((n1 - 1.0) * (n2 - 1.0)));
        INDArray sigma1 = sampleCovariance(x1);
        INDArray sigma2 = sampleCovariance(x2);
        double[] mu1 = x1.mean(0).toDoubleVector();
        double[] mu2 = x2.mean(0).toDoubleVector();
        double reference = squaredDistance(mu1, mu2) + trace(sigma1) + trace(sigma2)
                - 2 * traceSqrtNewtonSchulz(k.mmul(k.transpose()));
        double fid = FrechetDistance.of(mu1, toFlat(sigma1), mu2, toFlat(sigma2), d);
        assertEquals(reference, fid, 1e-6 * reference);
    }

    /**
     * d = 2048 (Inception's pool features) with covariances built as Σ1 = G diag(a) Gᵀ and
     * Σ2 = G⁻ᵀ diag(c) G⁻¹, so Σ1 Σ2 = G diag(a∘c) G⁻¹ and tr √(Σ1 Σ2) = Σ √(ai ci) exactly. G is
     * Q1 diag(g) Q2ᵀ with dense orthogonal Q1, Q2 (randomised Hadamard products) and g in [0.5, 2], so
     * G is far from orthogonal and Σ1, Σ2 do not commute. A quarter of a and of c are zero, so both
     * covariances are singular.
     */
    @Test
    void agreesWithAKnownAnswerAtDimension2048WithSingularCovariances() {
        Random random = new Random(5);
        int d = 2048;
        double[] g = new double[d];
        double[] a = new double[d];
        double[] c = new double[d];
        double exactTraceSqrt = 0;
        for (int i = 0; i < d; i++) {
            g[i] = Math.exp(Math.log(2) * (2 * random.nextDouble() - 1));
            a[i] = random.nextDouble() < 0.25 ? 0 : 0.1 + random.nextDouble();
            c[i] = random.nextDouble() < 0.25 ? 0 : 0.1 + random.nextDouble();
            exactTraceSqrt += Math.sqrt(a[i] * c[i]);
        }
        INDArray q1 = randomOrthogonal(random, d);
        INDArray q2 = randomOrthogonal(random, d);
        INDArray gMatrix = q1.mulRowVector(row(g)).mmul(q2.transpose());
        double[] reciprocal = new double[d];
        for (int i = 0; i < d; i++) {
            reciprocal[i] = 1 / g[i];
        }
        INDArray inverseTransposeG = q1.mulRowVector(row(reciprocal)).mmul(q2.transpose());
        INDArray sigma1 = symmetrise(gMatrix.mulRowVector(row(a)).mmul(gMatrix.transpose()));
        INDArray sigma2 = symmetrise(inverseTransposeG.mulRowVector(row(c)).mmul(inverseTransposeG.transpose()));
        double[] mu1 = gaussian(random, d, 0.1);
        double[] mu2 = gaussian(random, d, 0.1);
        double expected = squaredDistance(mu1, mu2) + trace(sigma1) + trace(sigma2) - 2 * exactTraceSqrt;

        long start = System.nanoTime();
        double fid = FrechetDistance.of(mu1, toFlat(sigma1), mu2, toFlat(sigma2), d);
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("FID at d = %d: %.9g (expected %.9g) in %d ms%n", d, fid, expected, millis);
        assertEquals(expected, fid, 1e-6 * expected);
    }

    @Test
    void malformedInputsAreRejectedWithTheReason() {
        double[] mu = {0, 0};
        double[] sigma = {1, 0, 0, 1};
        String shortMu = assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.of(new double[] {0}, sigma, mu, sigma, 2)).getMessage();
        assertTrue(shortMu.contains("mu1 has 1 values, expected 2"), shortMu);
        String flat = assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.of(mu, new double[] {1, 0, 1}, mu, sigma, 2)).getMessage();
        assertTrue(flat.contains("sigma1 has 3 values, expected 2 × 2"), flat);
        String nan = assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.of(mu, sigma, new double[] {0, Double.NaN}, sigma, 2)).getMessage();
        assertTrue(nan.contains("mu2[1] is NaN"), nan);
        String asymmetric = assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.of(mu, sigma, mu, new double[] {1, 0.5, 0, 1}, 2)).getMessage();
        assertTrue(asymmetric.contains("sigma2 is not symmetric"), asymmetric);
        String negative = assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.of(mu, new double[] {-1, 0, 0, 1}, mu, sigma, 2)).getMessage();
        assertTrue(negative.contains("non-negative variances"), negative);
    }

    // ---- independent reference ----

    /**
     * tr √A for a matrix whose eigenvalues are real and non-negative (as those of a product of two
     * covariances are), by the coupled Newton–Schulz iteration Y ← Y T, Z ← T Z with
     * T = (3I − Z Y)/2 and Y₀ = A / ‖A‖_F, Z₀ = I; Y converges to √(A / ‖A‖_F). Only matrix products,
     * no eigendecomposition. Stops once the trace has settled.
     */
    static double traceSqrtNewtonSchulz(INDArray a) {
        int n = (int) a.rows();
        double scale = a.norm2Number().doubleValue();
        INDArray y = a.div(scale);
        INDArray z = Nd4j.eye(n).castTo(DataType.DOUBLE);
        INDArray threeI = Nd4j.eye(n).castTo(DataType.DOUBLE).muli(3);
        double previous = Double.NaN;
        int settled = 0;
        for (int k = 0; k < 100 && settled < 3; k++) {
            INDArray t = threeI.sub(z.mmul(y)).muli(0.5);
            y = y.mmul(t);
            z = t.mmul(z);
            double current = trace(y);
            settled = Math.abs(current - previous) <= 1e-15 * Math.abs(current) ? settled + 1 : 0;
            previous = current;
        }
        assertTrue(settled >= 3, "Newton–Schulz did not converge");
        return Math.sqrt(scale) * previous;
    }

    // ---- test data ----

    /** Rows of Z·(I + 0.5 R/√d) (Z, R standard normal) plus {@code spread}-scaled extra noise. */
    static INDArray correlatedSamples(Random random, int n, int d, double spread) {
        INDArray z = Nd4j.createFromArray(gaussian(random, n * d, 1)).reshape('c', n, d);
        INDArray mixing = Nd4j.createFromArray(gaussian(random, d * d, 0.5 / Math.sqrt(d))).reshape('c', d, d)
                .addi(Nd4j.eye(d).castTo(DataType.DOUBLE));
        INDArray scales = Nd4j.createFromArray(gaussian(random, d, spread)).reshape(1, d);
        return z.mmul(mixing).muliRowVector(Transforms.exp(scales, true));
    }

    /** Unbiased sample covariance by the two-pass formula (centre, then Xcᵀ Xc / (n − 1)). */
    static INDArray sampleCovariance(INDArray x) {
        INDArray centred = x.subRowVector(x.mean(0).reshape(1, x.columns()));
        return symmetrise(centred.transpose().mmul(centred).divi(x.rows() - 1.0));
    }

    /**
     * A dense random orthogonal matrix (1/d) H D1 P H D2 with H the Sylvester–Hadamard matrix, D1, D2
     * random sign diagonals and P a random permutation, built with fast Walsh–Hadamard transforms.
     */
    static INDArray randomOrthogonal(Random random, int d) {
        double[][] m = new double[d][d];
        for (int i = 0; i < d; i++) {
            m[i][i] = random.nextBoolean() ? 1 : -1;
        }
        hadamardColumns(m);
        int[] permutation = new int[d];
        for (int i = 0; i < d; i++) {
            permutation[i] = i;
        }
        for (int i = d - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = permutation[i];
            permutation[i] = permutation[j];
            permutation[j] = t;
        }
        double[][] shuffled = new double[d][];
        for (int i = 0; i < d; i++) {
            shuffled[i] = m[permutation[i]];
            if (random.nextBoolean()) {
                for (int j = 0; j < d; j++) {
                    shuffled[i][j] = -shuffled[i][j];
                }
            }
        }
        hadamardColumns(shuffled);
        return Nd4j.createFromArray(shuffled).castTo(DataType.DOUBLE).divi(d);
    }

    /** m ← H m in place (d a power of two), one butterfly pass per bit. */
    private static void hadamardColumns(double[][] m) {
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

    private static double[] diagonal(double[] values) {
        int d = values.length;
        double[] m = new double[d * d];
        for (int i = 0; i < d; i++) {
            m[i * d + i] = values[i];
        }
        return m;
    }

    private static INDArray row(double[] v) {
        return Nd4j.createFromArray(v).reshape(1, v.length);
    }

    static INDArray symmetrise(INDArray m) {
        return m.add(m.transpose()).muli(0.5);
    }

    static double[] toFlat(INDArray m) {
        return Nd4j.toFlattened('c', m).toDoubleVector();
    }

    static double trace(INDArray m) {
        double t = 0;
        for (int i = 0; i < m.rows(); i++) {
            t += m.getDouble(i, i);
        }
        return t;
    }

    private static double squaredDistance(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return s;
    }
}

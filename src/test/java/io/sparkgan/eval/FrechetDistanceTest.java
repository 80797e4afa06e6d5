package io.sparkgan.eval;

import static io.sparkgan.eval.FidTestData.centred;
import static io.sparkgan.eval.FidTestData.columnMeans;
import static io.sparkgan.eval.FidTestData.correlatedSamples;
import static io.sparkgan.eval.FidTestData.diagonal;
import static io.sparkgan.eval.FidTestData.diagonalMatrix;
import static io.sparkgan.eval.FidTestData.gaussian;
import static io.sparkgan.eval.FidTestData.sampleCovariance;
import static io.sparkgan.eval.FidTestData.scaleRowsAndColumns;
import static io.sparkgan.eval.FidTestData.squaredDistance;
import static io.sparkgan.eval.FidTestData.times;
import static io.sparkgan.eval.FidTestData.toFlat;
import static io.sparkgan.eval.FidTestData.trace;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.io.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.ejml.concurrency.EjmlConcurrency;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.NormOps_DDRM;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Fréchet distance against closed forms and against references that share no code with it: a
 * coupled Newton–Schulz iteration for the matrix square root (Higham, "Functions of Matrices", 2008,
 * eq. 6.35), covariances constructed so that tr √(Σ1 Σ2) is known exactly, and SciPy.
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
            DMatrixRMaj x1 = correlatedSamples(random, 4 * d, d, 0);
            DMatrixRMaj x2 = correlatedSamples(random, 3 * d, d, 0.8);
            CommonOps_DDRM.add(x2, 0.3, x2);
            DMatrixRMaj sigma1 = sampleCovariance(x1);
            DMatrixRMaj sigma2 = sampleCovariance(x2);
            double[] mu1 = columnMeans(x1);
            double[] mu2 = columnMeans(x2);
            double reference = squaredDistance(mu1, mu2) + trace(sigma1) + trace(sigma2)
                    - 2 * traceSqrtNewtonSchulz(times(sigma1, sigma2));
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
        DMatrixRMaj x1 = correlatedSamples(random, n1, d, 0);
        DMatrixRMaj x2 = correlatedSamples(random, n2, d, 0.5);
        CommonOps_DDRM.add(x2, 0.2, x2);
        DMatrixRMaj k = new DMatrixRMaj(n1, n2);
        CommonOps_DDRM.multTransB(1 / Math.sqrt((n1 - 1.0) * (n2 - 1.0)), centred(x1), centred(x2), k);
        DMatrixRMaj sigma1 = sampleCovariance(x1);
        DMatrixRMaj sigma2 = sampleCovariance(x2);
        double[] mu1 = columnMeans(x1);
        double[] mu2 = columnMeans(x2);
        DMatrixRMaj kkt = new DMatrixRMaj(n1, n1);
        CommonOps_DDRM.multTransB(k, k, kkt);
        double reference = squaredDistance(mu1, mu2) + trace(sigma1) + trace(sigma2)
                - 2 * traceSqrtNewtonSchulz(kkt);
        double fid = FrechetDistance.of(mu1, toFlat(sigma1), mu2, toFlat(sigma2), d);
        assertEquals(reference, fid, 1e-6 * reference);
    }

    /**
     * d = 2048 (Inception's pool features) with covariances built as Σ1 = G diag(a) Gᵀ and
     * Σ2 = G⁻ᵀ diag(c) G⁻¹, so Σ1 Σ2 = G diag(a∘c) G⁻¹ and tr √(Σ1 Σ2) = Σ √(ai ci) exactly. G is
     * Q1 diag(g) Q2ᵀ with dense orthogonal Q1, Q2 (randomised Hadamard products, applied as fast
     * transforms) and g in [0.5, 2], so G is far from orthogonal and Σ1, Σ2 do not commute. A quarter of a and of c are zero, so both
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
        FidTestData.RandomOrthogonal q1 = new FidTestData.RandomOrthogonal(random, d);
        FidTestData.RandomOrthogonal q2 = new FidTestData.RandomOrthogonal(random, d);
        double[] reciprocal = new double[d];
        for (int i = 0; i < d; i++) {
            reciprocal[i] = 1 / g[i];
        }
        // Σ1 = Q1 diag(g) (Q2ᵀ diag(a) Q2) diag(g) Q1ᵀ and Σ2 = Q1 diag(1/g) (Q2ᵀ diag(c) Q2) diag(1/g) Q1ᵀ
        DMatrixRMaj sigma1 = q1.conjugate(scaleRowsAndColumns(q2.conjugateTransposed(diagonalMatrix(a)), g));
        DMatrixRMaj sigma2 = q1.conjugate(scaleRowsAndColumns(q2.conjugateTransposed(diagonalMatrix(c)), reciprocal));
        double[] mu1 = gaussian(random, d, 0.1);
        double[] mu2 = gaussian(random, d, 0.1);
        double expected = squaredDistance(mu1, mu2) + trace(sigma1) + trace(sigma2) - 2 * exactTraceSqrt;

        double[] flat1 = toFlat(sigma1);
        double[] flat2 = toFlat(sigma2);
        long start = System.nanoTime();
        CovarianceFactor factor = CovarianceFactor.of(flat1, d);
        long factored = System.nanoTime();
        double fid = FrechetDistance.of(mu1, flat1, factor, mu2, flat2, d);
        long scored = System.nanoTime();
        System.out.printf("FID at d = %d: %.9g (expected %.9g); factor of rank %d in %d ms, then the FID in %d ms%n", d,
                fid, expected, factor.rank(), (factored - start) / 1_000_000, (scored - factored) / 1_000_000);
        assertEquals(expected, fid, 1e-6 * expected);
        assertTrue(factor.rank() < d, "Σ1 is singular, so its factor comes from the eigendecomposition");
    }

    /**
     * pytorch-fid's formula ({@code scipy.linalg.sqrtm}) and a SciPy eigendecomposition, on
     * well-conditioned statistics that src/test/resources/eval/fid_scipy_reference.py makes from a
     * seed; the files go through the same reader as {@code sparkgan fid --stats}.
     */
    @Test
    void agreesWithScipyOnWellConditionedStatistics(@TempDir Path tmp) throws Exception {
        for (int d : new int[] {160, 512}) {
            Path dir = tmp.resolve("d" + d);
            JsonNode reference = scipyReference(11 + d, d, dir);
            FidStats a = FidStatsFile.read(Files.newInputStream(dir.resolve("a.npz")));
            FidStats b = FidStatsFile.read(Files.newInputStream(dir.resolve("b.npz")));
            double expected = reference.path("fid_sqrtm").asDouble();
            assertEquals(expected, FrechetDistance.of(a, b), 1e-6 * expected, "d = " + d + ": " + reference);
            assertEquals(expected, FrechetDistance.of(b, a), 1e-6 * expected, "d = " + d + " swapped");
        }
    }

    /**
     * Both ways to a factor give the FID; a factor held apart (the real data's, cached) gives the same
     * bits as one computed on the spot, and the bits do not depend on EJML's thread count.
     */
    @Test
    void factorsFromCholeskyAndFromEigenvectorsGiveTheSameDistance() {
        Random random = new Random(6);
        int d = 200;
        double[] mu1 = gaussian(random, d, 1);
        double[] mu2 = gaussian(random, d, 1);
        double[] sigma1 = toFlat(sampleCovariance(correlatedSamples(random, 3 * d, d, 0)));
        double[] sigma2 = toFlat(sampleCovariance(correlatedSamples(random, 2 * d, d, 0.5)));
        CovarianceFactor cholesky = CovarianceFactor.cholesky(sigma1, d);
        CovarianceFactor eigen = CovarianceFactor.eigen(sigma1, d);
        assertTrue(cholesky != null && cholesky.rank() == d && eigen.rank() == d, "Σ1 is positive definite");
        double viaCholesky = FrechetDistance.of(mu1, sigma1, cholesky, mu2, sigma2, d);
        double viaEigen = FrechetDistance.of(mu1, sigma1, eigen, mu2, sigma2, d);
        assertEquals(viaEigen, viaCholesky, 1e-10 * viaEigen);
        double direct = FrechetDistance.of(mu1, sigma1, mu2, sigma2, d);
        assertEquals(Double.doubleToLongBits(viaCholesky), Double.doubleToLongBits(direct));
        int threads = EjmlConcurrency.getMaxThreads();
        try {
            EjmlConcurrency.setMaxThreads(1);
            double oneThread = FrechetDistance.of(mu1, sigma1, mu2, sigma2, d);
            EjmlConcurrency.setMaxThreads(3);
            double threeThreads = FrechetDistance.of(mu1, sigma1, mu2, sigma2, d);
            assertEquals(Double.doubleToLongBits(direct), Double.doubleToLongBits(oneThread));
            assertEquals(Double.doubleToLongBits(direct), Double.doubleToLongBits(threeThreads));
        } finally {
            EjmlConcurrency.setMaxThreads(threads);
        }
    }

    /** The check a cached factor passes when read: its own covariance, not a neighbour's. */
    @Test
    void aFactorIsCheckedAgainstItsCovariance() {
        Random random = new Random(7);
        int d = 96;
        double[] sigma = toFlat(sampleCovariance(correlatedSamples(random, 2 * d, d, 0)));
        double[] singular = toFlat(sampleCovariance(correlatedSamples(random, d / 2, d, 0)));
        for (double[] s : new double[][] {sigma, singular}) {
            CovarianceFactor factor = CovarianceFactor.of(s, d);
            assertTrue(factor.worstResidualRatio(s) <= 1, "a factor of Σ passes: " + factor.worstResidualRatio(s));
            double[] neighbour = s.clone();
            neighbour[5 * d + 7] *= 1 + 1e-7;
            neighbour[7 * d + 5] = neighbour[5 * d + 7];
            assertTrue(factor.worstResidualRatio(neighbour) > 1, "a relative change of 1e-7 in one covariance is"
                    + " caught: " + factor.worstResidualRatio(neighbour));
            double[] flipped = factor.values().clone();
            flipped[0] = -flipped[0]; // B[0][0], non-zero in either kind of factor
            assertTrue(new CovarianceFactor(d, factor.rank(), flipped).worstResidualRatio(s) > 1,
                    "a factor with one sign flipped is caught");
        }
        assertTrue(CovarianceFactor.of(singular, d).rank() < d, "a covariance of d/2 samples has rank below d");
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

    // ---- independent references ----

    /** Runs the committed reference script with Debian's Python (python3-numpy, python3-scipy). */
    static JsonNode scipyReference(int seed, int d, Path dir) throws Exception {
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Path script = Path.of("src/test/resources/eval/fid_scipy_reference.py").toAbsolutePath();
        Process process = new ProcessBuilder(python, script.toString(), Integer.toString(seed), Integer.toString(d),
                dir.toString()).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the reference script finished");
        assertEquals(0, process.exitValue(), python + " " + script + " (Debian's python3-scipy): " + out);
        return Json.parse(out.substring(out.lastIndexOf('\n') + 1));
    }

    /**
     * tr √A for a matrix whose eigenvalues are real and non-negative (as those of a product of two
     * covariances are), by the coupled Newton–Schulz iteration Y ← Y T, Z ← T Z with
     * T = (3I − Z Y)/2 and Y₀ = A / ‖A‖_F, Z₀ = I; Y converges to √(A / ‖A‖_F). Only matrix products,
     * no eigendecomposition. Stops once the trace has settled.
     */
    static double traceSqrtNewtonSchulz(DMatrixRMaj a) {
        int n = a.numRows;
        double scale = NormOps_DDRM.normF(a);
        DMatrixRMaj y = a.copy();
        CommonOps_DDRM.divide(y, scale);
        DMatrixRMaj z = CommonOps_DDRM.identity(n);
        double previous = Double.NaN;
        int settled = 0;
        for (int k = 0; k < 100 && settled < 3; k++) {
            DMatrixRMaj t = times(z, y);
            CommonOps_DDRM.scale(-0.5, t);
            for (int i = 0; i < n; i++) {
                t.add(i, i, 1.5);
            }
            y = times(y, t);
            z = times(t, z);
            double current = trace(y);
            settled = Math.abs(current - previous) <= 1e-15 * Math.abs(current) ? settled + 1 : 0;
            previous = current;
        }
        assertTrue(settled >= 3, "Newton–Schulz did not converge");
        return Math.sqrt(scale) * previous;
    }
}

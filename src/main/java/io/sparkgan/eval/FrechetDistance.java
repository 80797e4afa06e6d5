package io.sparkgan.eval;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_MT_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The Fréchet distance between two Gaussians N(μ1, Σ1) and N(μ2, Σ2) (Dowson and Landau, "The
 * Fréchet distance between multivariate normal distributions", J. Multivariate Analysis, 1982),
 * which is the FID of Heusel et al. ("GANs Trained by a Two Time-Scale Update Rule Converge to a
 * Local Nash Equilibrium", NeurIPS 2017) when the Gaussians are fitted to two sets of features:
 *
 * <pre>
 *   d² = ‖μ1 − μ2‖² + tr Σ1 + tr Σ2 − 2 tr (Σ1^½ Σ2 Σ1^½)^½
 * </pre>
 *
 * <p>Computed in double precision, in pure Java (EJML), with symmetric eigendecompositions only:
 * <ol>
 *   <li>a factor B of Σ1 with B Bᵀ = Σ1 ({@link CovarianceFactor}: B = V₊ Λ₊^½ from Σ1 = V Λ Vᵀ,
 *       eigenvalues that rounding made zero or negative left out). The FID stage caches the real
 *       data's factor, so a checkpoint needs only the next two steps.</li>
 *   <li>M = Bᵀ Σ2 B, symmetrised as (M + Mᵀ)/2. Its eigenvalues are the non-zero eigenvalues of
 *       Σ1^½ Σ2 Σ1^½ (both are those of Σ2 B Bᵀ = Σ2 Σ1), so any factor of Σ1 gives the same trace.</li>
 *   <li>tr M^½ = Σ √max(λi, 0) over the eigenvalues of M, which needs no eigenvectors.</li>
 * </ol>
 * pytorch-fid instead takes {@code scipy.linalg.sqrtm(Σ1 Σ2)} of a non-symmetric product, which
 * returns complex parts and needs an ε·I added to the covariances when they are nearly singular (as
 * they are when there are fewer samples than feature dimensions). Both matrices here are symmetric
 * positive semi-definite by construction, so none of that arises: no inverse is taken, singular
 * covariances are exact inputs, and rounding only perturbs eigenvalues by about ε·‖Σ‖.
 *
 * <p>No native routine takes part, so the value does not depend on which kernels a native BLAS or
 * LAPACK picked for the processor (see {@link CovarianceFactor} for the one that was wrong), and the
 * same statistics give the same bits on every machine. The products use EJML's threads, each output
 * element summed by one thread in a fixed order, so the bits do not depend on the thread count.
 * {@link #VERSION} names this computation in every key that decides whether a score is reused.
 */
public final class FrechetDistance {

    /**
     * The version of the metric code, kept with cached real statistics and in every FID report, so that
     * figures from an earlier computation are not reused. 1: LAPACK {@code dsyev} and ND4J products
     * through OpenBLAS (wrong at d ≥ 160 where OpenBLAS 0.3.19 runs its SkylakeX kernels); 2: this
     * class, in pure Java, and the metrics' native products checked ({@link CheckedProduct}).
     */
    public static final int VERSION = 2;

    /**
     * The two parts of the squared distance: ‖μ1 − μ2‖², and tr Σ1 + tr Σ2 − 2 tr(Σ1^½ Σ2 Σ1^½)^½
     * (the squared Bures–Wasserstein distance between the covariances). Either can come out a
     * rounding error below zero when the inputs are (nearly) identical.
     */
    public record Terms(double meanTerm, double covarianceTerm) {
        public double total() {
            return meanTerm + covarianceTerm;
        }
    }

    private FrechetDistance() {
    }

    public static double of(FidStats a, FidStats b) {
        if (a.dimension() != b.dimension()) {
            throw new IllegalArgumentException("FID statistics have different dimensions: " + a.dimension() + " and "
                    + b.dimension() + " (features from different extractors?)");
        }
        return of(a.mu(), a.sigma(), b.mu(), b.sigma(), a.dimension());
    }

    /** The squared Fréchet distance; {@code sigma1}, {@code sigma2} are row-major d × d. */
    public static double of(double[] mu1, double[] sigma1, double[] mu2, double[] sigma2, int d) {
        return terms(mu1, sigma1, mu2, sigma2, d).total();
    }

    /** The squared Fréchet distance split into its mean and covariance parts. */
    public static Terms terms(double[] mu1, double[] sigma1, double[] mu2, double[] sigma2, int d) {
        checkInputs(mu1, sigma1, mu2, sigma2, d);
        return terms(mu1, sigma1, CovarianceFactor.of(sigma1, d), mu2, sigma2, d);
    }

    /**
     * The squared Fréchet distance with a factor of Σ1 already at hand (the real data's, cached): one
     * congruence product and one eigenvalues-only solve.
     */
    public static double of(double[] mu1, double[] sigma1, CovarianceFactor factor1, double[] mu2, double[] sigma2,
                            int d) {
        checkInputs(mu1, sigma1, mu2, sigma2, d);
        if (factor1.dimension() != d) {
            throw new IllegalArgumentException("the factor of sigma1 is for dimension " + factor1.dimension()
                    + ", expected " + d);
        }
        return terms(mu1, sigma1, factor1, mu2, sigma2, d).total();
    }

    private static Terms terms(double[] mu1, double[] sigma1, CovarianceFactor factor1, double[] mu2,
                               double[] sigma2, int d) {
        double meanTerm = 0;
        for (int i = 0; i < d; i++) {
            double diff = mu1[i] - mu2[i];
            meanTerm += diff * diff;
        }
        double traces = 0;
        for (int i = 0; i < d; i++) {
            traces += sigma1[i * d + i] + sigma2[i * d + i];
        }
        return new Terms(meanTerm, traces - 2 * traceSqrtOfProduct(factor1, sigma2));
    }

    /** tr (Σ1^½ Σ2 Σ1^½)^½ = Σ √λi(Bᵀ Σ2 B) for a factor B Bᵀ = Σ1. */
    static double traceSqrtOfProduct(CovarianceFactor factor1, double[] sigma2) {
        int d = factor1.dimension();
        int r = factor1.rank();
        if (r == 0) {
            return 0; // Σ1 = 0
        }
        DMatrixRMaj b = DMatrixRMaj.wrap(d, r, factor1.values());
        DMatrixRMaj s2 = DMatrixRMaj.wrap(d, d, sigma2);
        DMatrixRMaj s2b = new DMatrixRMaj(d, r);
        CommonOps_MT_DDRM.mult(s2, b, s2b);
        DMatrixRMaj m = new DMatrixRMaj(r, r);
        CommonOps_MT_DDRM.multTransA(b, s2b, m);
        // the products round M's two triangles differently; the eigensolver reads one of them
        for (int i = 0; i < r; i++) {
            for (int j = i + 1; j < r; j++) {
                double mean = 0.5 * (m.data[i * r + j] + m.data[j * r + i]);
                m.data[i * r + j] = mean;
                m.data[j * r + i] = mean;
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eigen = DecompositionFactory_DDRM.eig(r, false, true);
        if (!eigen.decompose(m)) {
            throw new ArithmeticException("the symmetric eigenvalues of a " + r + " × " + r
                    + " matrix did not converge");
        }
        double trace = 0;
        for (int k = 0; k < r; k++) {
            trace += Math.sqrt(Math.max(eigen.getEigenvalue(k).real, 0));
        }
        return trace;
    }

    private static void checkInputs(double[] mu1, double[] sigma1, double[] mu2, double[] sigma2, int d) {
        if (d < 1) {
            throw new IllegalArgumentException("dimension must be at least 1, got " + d);
        }
        checkVector("mu1", mu1, d);
        checkVector("mu2", mu2, d);
        checkCovariance("sigma1", sigma1, d);
        checkCovariance("sigma2", sigma2, d);
    }

    private static void checkVector(String name, double[] v, int d) {
        if (v.length != d) {
            throw new IllegalArgumentException(name + " has " + v.length + " values, expected " + d);
        }
        for (int i = 0; i < d; i++) {
            if (!Double.isFinite(v[i])) {
                throw new IllegalArgumentException(name + "[" + i + "] is " + v[i] + "; the mean must be finite");
            }
        }
    }

    private static void checkCovariance(String name, double[] s, int d) {
        if (s.length != (long) d * d) {
            throw new IllegalArgumentException(name + " has " + s.length + " values, expected " + d + " × " + d
                    + " = " + (long) d * d + " (row-major)");
        }
        double largestVariance = 0;
        for (int i = 0; i < d; i++) {
            double variance = s[i * d + i];
            if (!(variance >= 0) || Double.isInfinite(variance)) {
                throw new IllegalArgumentException(name + "[" + i + ", " + i + "] is " + variance
                        + "; a covariance needs finite, non-negative variances");
            }
            largestVariance = Math.max(largestVariance, variance);
        }
        // Loose enough for covariances rounded to float32 or summed in another order, tight enough
        // to catch a matrix that is not a covariance at all (the eigensolver would silently read one triangle).
        double tolerance = 1e-6 * largestVariance;
        for (int i = 0; i < d; i++) {
            for (int j = i + 1; j < d; j++) {
                double upper = s[i * d + j];
                double lower = s[j * d + i];
                if (!Double.isFinite(upper) || !Double.isFinite(lower)) {
                    throw new IllegalArgumentException(name + "[" + i + ", " + j + "] is not finite");
                }
                if (Math.abs(upper - lower) > tolerance) {
                    throw new IllegalArgumentException(name + " is not symmetric: [" + i + ", " + j + "] = " + upper
                            + " but [" + j + ", " + i + "] = " + lower);
                }
            }
        }
    }
}

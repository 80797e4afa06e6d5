package io.sparkgan.eval;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
 * <p>Computed in double precision with symmetric eigendecompositions only (LAPACK {@code dsyev}
 * through ND4J):
 * <ol>
 *   <li>Σ1 = V Λ Vᵀ; eigenvalues that rounding made slightly negative are set to 0, giving the
 *       factor B = V Λ^½ with B Bᵀ = Σ1.</li>
 *   <li>M = Bᵀ Σ2 B, symmetrised as (M + Mᵀ)/2. M = Vᵀ (Σ1^½ Σ2 Σ1^½) V is orthogonally similar to
 *       Σ1^½ Σ2 Σ1^½, so it has the same eigenvalues, and forming it takes one matrix product
 *       fewer than forming Σ1^½ first.</li>
 *   <li>tr M^½ = Σ √max(λi, 0) over the eigenvalues of M, which needs no eigenvectors.</li>
 * </ol>
 * pytorch-fid instead takes {@code scipy.linalg.sqrtm(Σ1 Σ2)} of a non-symmetric product, which
 * returns complex parts and needs an ε·I added to the covariances when they are nearly singular (as
 * they are when there are fewer samples than feature dimensions). Both matrices here are symmetric
 * positive semi-definite by construction, so none of that arises: no inverse is taken, singular
 * covariances are exact inputs, and rounding only perturbs eigenvalues by about ε·‖Σ‖.
 */
public final class FrechetDistance {

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
        if (d < 1) {
            throw new IllegalArgumentException("dimension must be at least 1, got " + d);
        }
        checkVector("mu1", mu1, d);
        checkVector("mu2", mu2, d);
        checkCovariance("sigma1", sigma1, d);
        checkCovariance("sigma2", sigma2, d);
        double meanTerm = 0;
        for (int i = 0; i < d; i++) {
            double diff = mu1[i] - mu2[i];
            meanTerm += diff * diff;
        }
        double traces = 0;
        for (int i = 0; i < d; i++) {
            traces += sigma1[i * d + i] + sigma2[i * d + i];
        }
        return new Terms(meanTerm, traces - 2 * traceSqrtOfProduct(sigma1, sigma2, d));
    }

    /** tr (Σ1^½ Σ2 Σ1^½)^½, equal to the sum of the square roots of the eigenvalues of Σ1 Σ2. */
    static double traceSqrtOfProduct(double[] sigma1, double[] sigma2, int d) {
        INDArray vectors = matrix(sigma1, d);
        double[] lambda = symmetricEigenvalues(vectors, true);
        double[] root = new double[d];
        for (int i = 0; i < d; i++) {
            root[i] = Math.sqrt(Math.max(lambda[i], 0));
        }
        INDArray factor = vectors.mulRowVector(Nd4j.createFromArray(root).reshape(1, d));
        INDArray m = factor.transpose().mmul(matrix(sigma2, d)).mmul(factor);
        // The two products round M's upper and lower triangles differently; dsyev reads only one.
        INDArray symmetric = m.add(m.transpose()).muli(0.5).dup('c');
        double[] mu = symmetricEigenvalues(symmetric, false);
        double trace = 0;
        for (double v : mu) {
            trace += Math.sqrt(Math.max(v, 0));
        }
        return trace;
    }

    /**
     * Eigenvalues (ascending) of the symmetric matrix {@code a}; with {@code vectors}, {@code a} is
     * overwritten with the eigenvectors as its columns. Calls the LAPACK binding directly rather
     * than {@code Eigen.symmetricGeneralizedEigenvalues(a, boolean)}: in ND4J 1.0.0-M2.1 that always
     * asks dsyev for eigenvectors (on a copy when told not to), and eigenvalues alone are about ten
     * times faster (1 s against 11 s at d = 2048 on two cores).
     */
    private static double[] symmetricEigenvalues(INDArray a, boolean vectors) {
        INDArray values = Nd4j.create(DataType.DOUBLE, a.rows());
        int info = Nd4j.getBlasWrapper().lapack().syev(vectors ? 'V' : 'N', 'L', a, values);
        if (info != 0) {
            throw new ArithmeticException("LAPACK dsyev failed on a " + a.rows() + " × " + a.rows()
                    + " matrix (info = " + info + ")");
        }
        return values.toDoubleVector();
    }

    /** A fresh DOUBLE d × d matrix (c order) holding a copy of {@code flat}, safe to overwrite. */
    private static INDArray matrix(double[] flat, int d) {
        return Nd4j.createFromArray(flat).reshape('c', d, d);
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
        // to catch a matrix that is not a covariance at all (LAPACK would silently read one triangle).
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

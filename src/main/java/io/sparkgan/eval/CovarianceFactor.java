package io.sparkgan.eval;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.CholeskyDecomposition_F64;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * A factor B (d × r, row-major) of a covariance Σ with B Bᵀ = Σ. The Fréchet distance needs one
 * factor per pair of statistics; the real side's is computed once and cached next to the real
 * statistics ({@link RealStatistics}), so that scoring a checkpoint costs two matrix products and one
 * eigenvalues-only solve.
 *
 * <p>Two ways to it, both EJML's, pure Java in one thread (the same bits on every processor and
 * thread count):
 * <ul>
 *   <li>Cholesky, Σ = L Lᵀ, when Σ is positive definite to working precision (the real statistics
 *       of more images than features): backward stable, about 0.7 s at d = 2048;</li>
 *   <li>otherwise (singular Σ, fewer images than features) the symmetric eigendecomposition
 *       Σ = V Λ Vᵀ, B = V₊ Λ₊^½ over the r eigenvalues above zero (the others are zero up to
 *       rounding): about 15 s at d = 2048.</li>
 * </ul>
 * Either factor is accepted only if it reproduces Σ ({@link #worstResidualRatio}).
 *
 * <p>Native LAPACK is not used: the {@code dsyev} of the OpenBLAS 0.3.19 that ND4J bundles returns
 * wrong eigenvectors from d = 160 on with its SkylakeX kernels, which it picks by itself on some
 * AVX-512 processors, and nothing downstream would notice.
 */
public record CovarianceFactor(int dimension, int rank, double[] values) {

    public CovarianceFactor {
        if (values.length != (long) dimension * rank) {
            throw new IllegalArgumentException("a " + dimension + " × " + rank + " factor needs "
                    + (long) dimension * rank + " values, got " + values.length);
        }
    }

    /** The factor of {@code sigma} (row-major d × d, symmetric positive semi-definite; not modified). */
    public static CovarianceFactor of(double[] sigma, int d) {
        CovarianceFactor cholesky = cholesky(sigma, d);
        if (cholesky != null && cholesky.worstResidualRatio(sigma) <= 1) {
            return cholesky;
        }
        return eigen(sigma, d);
    }

    /** L with L Lᵀ = Σ, or null when Σ is not positive definite to working precision. */
    static CovarianceFactor cholesky(double[] sigma, int d) {
        DMatrixRMaj matrix = new DMatrixRMaj(d, d);
        System.arraycopy(sigma, 0, matrix.data, 0, d * d);
        CholeskyDecomposition_F64<DMatrixRMaj> cholesky = DecompositionFactory_DDRM.chol(d, true);
        if (!cholesky.decompose(matrix)) {
            return null;
        }
        DMatrixRMaj lower = cholesky.getT(null);
        for (int i = 0; i < d; i++) {
            if (!(lower.data[i * d + i] > 0)) {
                return null;
            }
            Arrays.fill(lower.data, i * d + i + 1, (i + 1) * d, 0); // only the lower triangle is L's
        }
        return new CovarianceFactor(d, d, lower.data);
    }

    /** V₊ Λ₊^½ from the symmetric eigendecomposition. */
    static CovarianceFactor eigen(double[] sigma, int d) {
        DMatrixRMaj matrix = new DMatrixRMaj(d, d);
        System.arraycopy(sigma, 0, matrix.data, 0, d * d);
        EigenDecomposition_F64<DMatrixRMaj> eigen = DecompositionFactory_DDRM.eig(d, true, true);
        if (!eigen.decompose(matrix)) {
            throw new ArithmeticException("the symmetric eigendecomposition of a " + d + " × " + d
                    + " covariance did not converge");
        }
        int rank = 0;
        for (int k = 0; k < d; k++) {
            rank += eigen.getEigenvalue(k).real > 0 ? 1 : 0;
        }
        double[] b = new double[d * rank];
        int column = 0;
        for (int k = 0; k < d; k++) {
            double lambda = eigen.getEigenvalue(k).real;
            if (lambda > 0) {
                double root = Math.sqrt(lambda);
                DMatrixRMaj v = eigen.getEigenVector(k);
                for (int i = 0; i < d; i++) {
                    b[i * rank + column] = v.data[i] * root;
                }
                column++;
            }
        }
        return new CovarianceFactor(d, rank, b);
    }

    /**
     * Whether this is a factor of {@code sigma}: ‖B Bᵀx − Σx‖ within a rounding bound for a few
     * seeded random x, in O(d·r) per probe. A factor read from a cache is checked against the
     * covariance it is cached with, which catches a stale, truncated or wrongly computed one.
     *
     * @return the worst ratio of the residual to its bound: at most 1 for a correct factor
     */
    public double worstResidualRatio(double[] sigma) {
        int d = dimension;
        if (sigma.length != (long) d * d) {
            return Double.POSITIVE_INFINITY;
        }
        double frobenius = 0;
        for (double s : sigma) {
            frobenius += s * s;
        }
        frobenius = Math.sqrt(frobenius);
        // Both factorisations are backward stable: ‖Σ − B Bᵀ‖ ≤ p(d)·u·‖Σ‖, and the eigenvalues clipped
        // at zero are of that size too. 64·d·u is a generous p(d); a wrong factor misses by O(‖Σ‖).
        double relativeBound = 64.0 * d * 0x1p-53;
        SplittableRandom random = new SplittableRandom(0x5eed_fac7L);
        double worst = 0;
        double[] x = new double[d];
        double[] t = new double[rank];
        for (int probe = 0; probe < 3; probe++) {
            for (int i = 0; i < d; i++) {
                x[i] = random.nextBoolean() ? 1 : -1;
            }
            Arrays.fill(t, 0);
            for (int i = 0; i < d; i++) { // t = Bᵀx
                double xi = x[i];
                int row = i * rank;
                for (int k = 0; k < rank; k++) {
                    t[k] += values[row + k] * xi;
                }
            }
            double residual = 0;
            for (int i = 0; i < d; i++) { // (B t − Σ x)_i
                double bt = 0;
                int row = i * rank;
                for (int k = 0; k < rank; k++) {
                    bt += values[row + k] * t[k];
                }
                double sx = 0;
                int srow = i * d;
                for (int j = 0; j < d; j++) {
                    sx += sigma[srow + j] * x[j];
                }
                residual += (bt - sx) * (bt - sx);
            }
            double bound = relativeBound * frobenius * Math.sqrt(d); // ‖x‖ = √d
            worst = Math.max(worst, bound == 0 ? (residual == 0 ? 0 : Double.POSITIVE_INFINITY)
                    : Math.sqrt(residual) / bound);
        }
        return worst;
    }
}

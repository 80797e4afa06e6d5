package io.sparkgan.eval;

import java.io.Serializable;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Running mean and covariance of feature vectors of one dimension, in double precision: the count
 * n, the mean, and the centred scatter matrix Σ (x − mean)(x − mean)ᵀ (row-major, d × d).
 *
 * <p>Partial statistics combine with the pairwise update of Chan, Golub and LeVeque ("Updating
 * Formulae and a Pairwise Algorithm for Computing Sample Variances", 1979; "Algorithms for
 * Computing the Sample Variance: Analysis and Recommendations", The American Statistician, 1983),
 * extended to cross-products: scatter = scatterA + scatterB + δδᵀ · nA·nB/n with δ = meanB − meanA.
 * Every part is centred on its own mean before it is combined, so features with a large common
 * offset do not lose their variance to cancellation as the textbook Σxxᵀ − n·mean·meanᵀ would. The
 * merge is associative up to rounding, which is what a tree aggregation over partitions needs.
 *
 * <p>The state is three plain fields (a long and two double arrays), so Java or Kryo serialisation
 * of a partition's statistics costs 8·(d² + d) bytes and no ND4J objects cross the wire.
 */
public final class FeatureStats implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int dimension;
    private long count;
    private final double[] mean;
    private final double[] scatter;

    public FeatureStats(int dimension) {
        if (dimension < 1) {
            throw new IllegalArgumentException("feature dimension must be at least 1, got " + dimension);
        }
        this.dimension = dimension;
        this.mean = new double[dimension];
        this.scatter = new double[Math.multiplyExact(dimension, dimension)];
    }

    /** Adds one feature vector (Welford's update, generalised to the scatter matrix). */
    public FeatureStats add(double[] row) {
        if (row.length != dimension) {
            throw new IllegalArgumentException("feature vector has " + row.length + " values, expected " + dimension);
        }
        for (int j = 0; j < dimension; j++) {
            if (!Double.isFinite(row[j])) {
                throw new IllegalArgumentException("feature vector has a non-finite value " + row[j] + " at index " + j);
            }
        }
        count++;
        double[] before = new double[dimension];
        for (int j = 0; j < dimension; j++) {
            before[j] = row[j] - mean[j];
            mean[j] += before[j] / count;
        }
        // (x − old mean)(x − new mean)ᵀ is the exact increment of the scatter matrix; it is
        // symmetric in exact arithmetic, and filling both triangles from one product keeps it so.
        for (int i = 0; i < dimension; i++) {
            double after = row[i] - mean[i];
            int base = i * dimension;
            for (int j = i; j < dimension; j++) {
                double v = before[j] * after;
                scatter[base + j] += v;
                if (j != i) {
                    scatter[j * dimension + i] += v;
                }
            }
        }
        return this;
    }

    /**
     * Adds a batch of feature vectors, one per row of {@code batch} [n, d] (any floating type; it is
     * read in double). The batch's own mean and scatter come from one ND4J matrix product and are
     * then merged, which is far faster than n rank-one updates for large d.
     */
    public FeatureStats add(INDArray batch) {
        if (batch.rank() != 2 || batch.columns() != dimension) {
            throw new IllegalArgumentException("feature batch must have shape [n, " + dimension + "], got "
                    + Arrays.toString(batch.shape()));
        }
        long n = batch.rows();
        if (n == 0) {
            return this;
        }
        INDArray x = batch.dataType() == DataType.DOUBLE ? batch : batch.castTo(DataType.DOUBLE);
        INDArray batchMean = x.mean(0).reshape(1, dimension);
        double[] meanValues = batchMean.toDoubleVector();
        for (int j = 0; j < dimension; j++) {
            // NaN and ±Inf propagate into the column mean, so one O(d) check covers the batch.
            if (!Double.isFinite(meanValues[j])) {
                throw new IllegalArgumentException("feature batch has non-finite values in column " + j);
            }
        }
        INDArray centred = x.subRowVector(batchMean);
        INDArray product = Nd4j.gemm(centred, centred, true, false);
        double[] batchScatter = Nd4j.toFlattened('c', product).toDoubleVector();
        double[] c = Nd4j.toFlattened('c', centred).toDoubleVector();
        CheckedProduct.verify("the feature statistics' scatter Xcᵀ·Xc", batchScatter, dimension, (int) n, dimension,
                CheckedProduct.rowMajor(c, dimension, true), CheckedProduct.rowMajor(c, dimension, false));
        // gemm rounds (i, j) and (j, i) along different paths; keep the stored matrix exactly symmetric.
        for (int i = 0; i < dimension; i++) {
            for (int j = i + 1; j < dimension; j++) {
                double v = 0.5 * (batchScatter[i * dimension + j] + batchScatter[j * dimension + i]);
                batchScatter[i * dimension + j] = v;
                batchScatter[j * dimension + i] = v;
            }
        }
        combine(n, meanValues, batchScatter);
        return this;
    }

    /**
     * Adds {@code other}'s vectors to these statistics (Chan et al.'s pairwise combination) and
     * returns {@code this}; {@code other} is left unchanged.
     */
    public FeatureStats merge(FeatureStats other) {
        if (other.dimension != dimension) {
            throw new IllegalArgumentException("cannot merge feature statistics of dimension " + other.dimension
                    + " into statistics of dimension " + dimension);
        }
        combine(other.count, other.mean, other.scatter);
        return this;
    }

    private void combine(long otherCount, double[] otherMean, double[] otherScatter) {
        if (otherCount == 0) {
            return;
        }
        if (count == 0) {
            count = otherCount;
            System.arraycopy(otherMean, 0, mean, 0, dimension);
            System.arraycopy(otherScatter, 0, scatter, 0, scatter.length);
            return;
        }
        long total = Math.addExact(count, otherCount);
        // In double: count · otherCount can overflow a long.
        double weight = (double) count * (double) otherCount / total;
        double share = (double) otherCount / total;
        double[] delta = new double[dimension];
        for (int j = 0; j < dimension; j++) {
            delta[j] = otherMean[j] - mean[j];
        }
        for (int i = 0; i < dimension; i++) {
            int base = i * dimension;
            double wi = weight * delta[i];
            for (int j = 0; j < dimension; j++) {
                scatter[base + j] += otherScatter[base + j] + wi * delta[j];
            }
        }
        for (int j = 0; j < dimension; j++) {
            mean[j] += delta[j] * share;
        }
        count = total;
    }

    public long count() {
        return count;
    }

    public int dimension() {
        return dimension;
    }

    /** A copy of the mean vector. */
    public double[] mean() {
        return mean.clone();
    }

    /** A copy of the centred scatter matrix Σ (x − mean)(x − mean)ᵀ, row-major d × d. */
    public double[] scatter() {
        return scatter.clone();
    }

    /**
     * The unbiased sample covariance (scatter / (n − 1)), row-major d × d: what numpy.cov and so
     * pytorch-fid compute, so that our statistics and theirs are interchangeable.
     */
    public double[] covariance() {
        if (count < 2) {
            throw new IllegalStateException("a sample covariance needs at least 2 feature vectors, have " + count);
        }
        double[] covariance = new double[scatter.length];
        double divisor = count - 1;
        for (int k = 0; k < scatter.length; k++) {
            covariance[k] = scatter[k] / divisor;
        }
        return covariance;
    }

    /** Mean and covariance as the Fréchet distance and the .npz statistics files take them. */
    public FidStats toFidStats() {
        return new FidStats(mean(), covariance(), dimension);
    }
}

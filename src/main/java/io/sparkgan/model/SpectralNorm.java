package io.sparkgan.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Spectral normalisation of D's weights (Miyato et al., "Spectral Normalization for Generative
 * Adversarial Networks", 2018): every weight tensor W is used as W/σ(W), σ its largest singular value,
 * estimated by power iteration with vectors kept from one update to the next (their Algorithm 1, one
 * iteration per update).
 *
 * <p>It is a reparameterisation of D's parameter vector, not a layer: the replicas run D with the
 * normalised weights ({@link #normalise}) and return gradients with respect to them, and
 * {@link #chainToRaw} turns the averaged gradient into one with respect to the raw weights, eq. 12:
 * ∂L/∂W = (G − ⟨G, W/σ⟩·u vᵀ)/σ with G = ∂L/∂(W/σ) and σ = uᵀWv, u and v held fixed. The power
 * iteration runs where the optimiser does (on the driver, or on every collective task alike), in
 * plain Java with double sums, so every replica computes the same bits; the vectors are part of the
 * training state and its checkpoints.
 *
 * <p>A weight tensor is seen as a matrix of rows × its last dimension (conv [kH, kW, in, out] as
 * [kH·kW·in, out], dense [in, out]), stored row-major: the reshape Miyato et al. use, transposed,
 * which has the same singular values. Biases and normalisation scales are left alone.
 */
public final class SpectralNorm implements Serializable {
    private final List<Matrix> matrices;
    private final float[][] left; // u per matrix, length rows
    private final float[][] right; // v per matrix, length cols
    private final double[] sigma;

    private record Matrix(String name, int offset, int rows, int cols) implements Serializable {}

    private final long parameterCount;

    private SpectralNorm(List<Matrix> matrices, long parameterCount) {
        this.matrices = matrices;
        this.parameterCount = parameterCount;
        this.left = new float[matrices.size()][];
        this.right = new float[matrices.size()][];
        this.sigma = new double[matrices.size()];
        for (int m = 0; m < matrices.size(); m++) {
            left[m] = new float[matrices.get(m).rows()];
            right[m] = new float[matrices.get(m).cols()];
        }
    }

    /** For every weight tensor ({@code .../W}) of {@code layout}, with vectors still to be {@link #start}ed. */
    public static SpectralNorm forWeights(ParamLayout layout) {
        List<Matrix> matrices = new ArrayList<>();
        for (ParamLayout.Param p : layout.params()) {
            if (p.name().endsWith("/W")) {
                int cols = (int) p.shape()[p.shape().length - 1];
                matrices.add(new Matrix(p.name(), (int) p.offset(), (int) (p.length() / cols), cols));
            }
        }
        return new SpectralNorm(matrices, layout.size());
    }

    /** The length of the parameter vector this normalises (the whole of D's). */
    public long parameterCount() {
        return parameterCount;
    }

    /** An independent copy. */
    public SpectralNorm copy() {
        SpectralNorm copy = new SpectralNorm(matrices, parameterCount);
        copy.restore(vectors(), sigma);
        return copy;
    }

    /** Draws v from {@code seed} (normal, normalised) and runs the first iteration on {@code weights}. */
    public void start(float[] weights, long seed) {
        for (int m = 0; m < matrices.size(); m++) {
            SplittableRandom random = new SplittableRandom(Noise.seed(seed, m));
            double[] v = new double[right[m].length];
            for (int j = 0; j < v.length; j++) {
                v[j] = Noise.gaussian(random);
            }
            store(right[m], normalised(v));
        }
        iterate(weights);
    }

    /**
     * One power iteration per matrix from the kept v: u = Wv/‖Wv‖, v = Wᵀu/‖Wᵀu‖, σ = uᵀWv. Run after
     * every update of the weights, so the next rounds use the new σ.
     */
    public void iterate(float[] weights) {
        for (int m = 0; m < matrices.size(); m++) {
            Matrix w = matrices.get(m);
            double[] u = normalised(times(weights, w, right[m]));
            store(left[m], u);
            double[] v = normalised(transposeTimes(weights, w, left[m]));
            store(right[m], v);
            sigma[m] = sigma(weights, w, left[m], right[m]);
        }
    }

    /** uᵀWv, in double. */
    private static double sigma(float[] weights, Matrix w, float[] u, float[] v) {
        double[] wv = times(weights, w, v);
        double s = 0;
        for (int i = 0; i < wv.length; i++) {
            s += u[i] * wv[i];
        }
        return s;
    }

    /** The parameter vector D runs with: every weight matrix divided by its σ, the rest as it is. */
    public float[] normalise(float[] weights) {
        float[] out = weights.clone();
        for (int m = 0; m < matrices.size(); m++) {
            Matrix w = matrices.get(m);
            for (int k = w.offset(); k < w.offset() + w.rows() * w.cols(); k++) {
                out[k] = (float) (weights[k] / sigma[m]);
            }
        }
        return out;
    }

    /**
     * Turns {@code gradient}, with respect to the normalised weights {@code normalised}, into the
     * gradient with respect to the raw ones, in place: (G − ⟨G, W/σ⟩·uvᵀ)/σ per matrix.
     */
    public void chainToRaw(float[] gradient, float[] normalised) {
        for (int m = 0; m < matrices.size(); m++) {
            Matrix w = matrices.get(m);
            double along = 0;
            for (int k = w.offset(); k < w.offset() + w.rows() * w.cols(); k++) {
                along += (double) gradient[k] * normalised[k];
            }
            float[] u = left[m];
            float[] v = right[m];
            for (int i = 0; i < w.rows(); i++) {
                int row = w.offset() + i * w.cols();
                for (int j = 0; j < w.cols(); j++) {
                    gradient[row + j] = (float) ((gradient[row + j] - along * u[i] * v[j]) / sigma[m]);
                }
            }
        }
    }

    /** σ of each matrix, in layout order, as of the last iteration. */
    public double[] sigmas() {
        return sigma.clone();
    }

    /** The names of the normalised weights, in layout order. */
    public List<String> names() {
        return matrices.stream().map(Matrix::name).toList();
    }

    /** u of every matrix, then v of every matrix, in one flat vector: what a checkpoint keeps. */
    public float[] vectors() {
        int length = 0;
        for (int m = 0; m < matrices.size(); m++) {
            length += left[m].length + right[m].length;
        }
        float[] out = new float[length];
        int at = 0;
        for (float[] u : left) {
            System.arraycopy(u, 0, out, at, u.length);
            at += u.length;
        }
        for (float[] v : right) {
            System.arraycopy(v, 0, out, at, v.length);
            at += v.length;
        }
        return out;
    }

    /**
     * Sets u and v from {@link #vectors()} and recomputes σ = uᵀWv from {@code weights}: exactly the σ
     * the state had, since the weights have not changed since the iteration that produced u and v.
     */
    public void restore(float[] vectors, float[] weights) {
        checkLength(vectors);
        unpack(vectors);
        for (int m = 0; m < matrices.size(); m++) {
            sigma[m] = sigma(weights, matrices.get(m), left[m], right[m]);
        }
    }

    private void restore(float[] vectors, double[] sigmas) {
        unpack(vectors);
        System.arraycopy(sigmas, 0, sigma, 0, sigma.length);
    }

    /** Overwrites this one's vectors and σ with {@code other}'s (the same weights). */
    public void copyFrom(SpectralNorm other) {
        restore(other.vectors(), other.sigma);
    }

    private void checkLength(float[] vectors) {
        int expected = vectors().length;
        if (vectors.length != expected) {
            throw new IllegalArgumentException("spectral norm vectors hold " + vectors.length + " values, D's weights"
                    + " need " + expected);
        }
    }

    private void unpack(float[] vectors) {
        int at = 0;
        for (float[] u : left) {
            System.arraycopy(vectors, at, u, 0, u.length);
            at += u.length;
        }
        for (float[] v : right) {
            System.arraycopy(vectors, at, v, 0, v.length);
            at += v.length;
        }
    }

    /** W·x for W the rows × cols matrix at its offset. */
    private static double[] times(float[] weights, Matrix w, float[] x) {
        double[] out = new double[w.rows()];
        for (int i = 0; i < w.rows(); i++) {
            int row = w.offset() + i * w.cols();
            double s = 0;
            for (int j = 0; j < w.cols(); j++) {
                s += weights[row + j] * (double) x[j];
            }
            out[i] = s;
        }
        return out;
    }

    /** Wᵀ·y. */
    private static double[] transposeTimes(float[] weights, Matrix w, float[] y) {
        double[] out = new double[w.cols()];
        for (int i = 0; i < w.rows(); i++) {
            int row = w.offset() + i * w.cols();
            double yi = y[i];
            for (int j = 0; j < w.cols(); j++) {
                out[j] += weights[row + j] * yi;
            }
        }
        return out;
    }

    private static double[] normalised(double[] x) {
        double s = 0;
        for (double value : x) {
            s += value * value;
        }
        double norm = Math.sqrt(s) + 1e-12; // Miyato et al.'s ε keeps an all-zero matrix finite
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] / norm;
        }
        return out;
    }

    private static void store(float[] into, double[] values) {
        for (int i = 0; i < values.length; i++) {
            into[i] = (float) values[i];
        }
    }
}

package io.sparkgan.model;

import io.sparkgan.model.networks.GanNetwork;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Spectral normalisation against independent computations: σ against LAPACK's singular values, the
 * normalised weights and the chain rule against W/(uᵀWv) written out here and differentiated by
 * central differences in double precision.
 */
class SpectralNormTest {
    private static final GanArchitecture ARCHITECTURE = new GanArchitecture(16, 1, 5, 2, 3, Normalisation.BATCH,
            Normalisation.NONE);
    private static final ParamLayout LAYOUT = GanNetwork.of(ARCHITECTURE).discriminatorLayout();

    private static float[] weights(long seed) {
        float[] w = LAYOUT.initialise(seed);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < w.length; i++) {
            w[i] = w[i] * 10 + (float) (0.01 * Noise.gaussian(random)); // biases nonzero too
        }
        return w;
    }

    @Test
    void powerIterationConvergesToTheLargestSingularValue() {
        float[] w = weights(1);
        SpectralNorm sn = SpectralNorm.forWeights(LAYOUT);
        sn.start(w, 7);
        assertEquals(List.of("d/down0/W", "d/down1/W", "d/logit/W"), sn.names());
        for (int i = 0; i < 200; i++) {
            sn.iterate(w);
        }
        double[] sigmas = sn.sigmas();
        for (int m = 0; m < sigmas.length; m++) {
            ParamLayout.Param p = LAYOUT.get(sn.names().get(m));
            long cols = p.shape()[p.shape().length - 1];
            INDArray matrix = Nd4j.createFromArray(slice(w, p)).castTo(DataType.DOUBLE).reshape('c', p.length() / cols, cols);
            INDArray singular = Nd4j.create(DataType.DOUBLE, Math.min(matrix.rows(), matrix.columns()));
            Nd4j.getBlasWrapper().lapack().gesvd(matrix.dup('f'), singular, null, null);
            double largest = singular.maxNumber().doubleValue();
            assertEquals(largest, sigmas[m], 1e-5 * largest, p.name());
        }
    }

    @Test
    void normalisedWeightsAreWOverUTransposeWVAndTheRestIsUntouched() {
        float[] w = weights(2);
        SpectralNorm sn = SpectralNorm.forWeights(LAYOUT);
        sn.start(w, 3);
        float[] normalised = sn.normalise(w);
        float[] vectors = sn.vectors();
        int at = 0;
        int[] uAt = new int[3];
        for (int m = 0; m < 3; m++) {
            uAt[m] = at;
            at += rows(LAYOUT.get(sn.names().get(m)));
        }
        int vAt = at;
        for (ParamLayout.Param p : LAYOUT.params()) {
            int m = sn.names().indexOf(p.name());
            for (long k = p.offset(); k < p.offset() + p.length(); k++) {
                if (m < 0) {
                    assertEquals(w[(int) k], normalised[(int) k], 0f, p.name() + " is not a weight matrix");
                }
            }
            if (m >= 0) {
                double sigma = uTransposeWv(w, p, vectors, uAt[m], vAt + offsetOfV(sn, m));
                for (long k = p.offset(); k < p.offset() + p.length(); k++) {
                    assertEquals(w[(int) k] / sigma, normalised[(int) k], 1e-6 * Math.abs(w[(int) k] / sigma) + 1e-9);
                }
            }
        }
    }

    @Test
    void chainRuleMatchesFiniteDifferencesOfTheNormalisedWeights() {
        float[] w = weights(3);
        SpectralNorm sn = SpectralNorm.forWeights(LAYOUT);
        sn.start(w, 5);
        float[] vectors = sn.vectors();
        SplittableRandom random = new SplittableRandom(9);
        float[] upstream = new float[w.length]; // ∂L/∂(normalised weights) for L = Σ c·W_sn
        for (int i = 0; i < upstream.length; i++) {
            upstream[i] = (float) Noise.gaussian(random);
        }
        float[] chained = upstream.clone();
        sn.chainToRaw(chained, sn.normalise(w));
        for (int m = 0; m < 3; m++) {
            ParamLayout.Param p = LAYOUT.get(sn.names().get(m));
            int uAt = 0;
            for (int k = 0; k < m; k++) {
                uAt += rows(LAYOUT.get(sn.names().get(k)));
            }
            int vAt = vectorsOfU(sn) + offsetOfV(sn, m);
            double[] raw = new double[(int) p.length()];
            for (int k = 0; k < raw.length; k++) {
                raw[k] = w[(int) p.offset() + k];
            }
            for (int k = 0; k < raw.length; k += 3) { // every third entry keeps it quick
                double step = 1e-6;
                double[] plus = raw.clone();
                plus[k] += step;
                double[] minus = raw.clone();
                minus[k] -= step;
                double numeric = (loss(plus, p, upstream, vectors, uAt, vAt) - loss(minus, p, upstream, vectors, uAt, vAt))
                        / (2 * step);
                double exact = chained[(int) p.offset() + k];
                assertEquals(numeric, exact, 1e-4 * Math.abs(numeric) + 1e-5, p.name() + " entry " + k);
            }
        }
        // outside the weight matrices the gradient passes through unchanged
        ParamLayout.Param bias = LAYOUT.get("d/logit/b");
        assertEquals(upstream[(int) bias.offset()], chained[(int) bias.offset()], 0f);
    }

    @Test
    void restoredVectorsGiveTheSameNormalisedWeightsBitForBit() {
        float[] w = weights(4);
        SpectralNorm sn = SpectralNorm.forWeights(LAYOUT);
        sn.start(w, 11);
        sn.iterate(w);
        SpectralNorm restored = SpectralNorm.forWeights(LAYOUT);
        restored.restore(sn.vectors(), w);
        assertArrayEquals(sn.normalise(w), restored.normalise(w));
        assertArrayEquals(sn.normalise(w), sn.copy().normalise(w));
        SpectralNorm other = SpectralNorm.forWeights(LAYOUT);
        other.start(w, 12);
        assertNotEquals(sn.sigmas()[0], other.sigmas()[0], "another seed starts from other vectors");
        assertTrue(sn.sigmas()[0] > 0);
    }

    /** Σ c·(W/(uᵀWv)) for one matrix, in double, u and v fixed: the function the chain rule differentiates. */
    private static double loss(double[] raw, ParamLayout.Param p, float[] upstream, float[] vectors, int uAt, int vAt) {
        double sigma = uTransposeWv(raw, p, vectors, uAt, vAt);
        double sum = 0;
        for (int k = 0; k < raw.length; k++) {
            sum += upstream[(int) p.offset() + k] * raw[k] / sigma;
        }
        return sum;
    }

    private static double uTransposeWv(float[] w, ParamLayout.Param p, float[] vectors, int uAt, int vAt) {
        double[] raw = new double[(int) p.length()];
        for (int k = 0; k < raw.length; k++) {
            raw[k] = w[(int) p.offset() + k];
        }
        return uTransposeWv(raw, p, vectors, uAt, vAt);
    }

    /** uᵀWv for one matrix W (row-major, rows × its last dimension), u and v read from the flat vectors. */
    private static double uTransposeWv(double[] raw, ParamLayout.Param p, float[] vectors, int uAt, int vAt) {
        int cols = (int) p.shape()[p.shape().length - 1];
        double sigma = 0;
        for (int i = 0; i < raw.length / cols; i++) {
            for (int j = 0; j < cols; j++) {
                sigma += vectors[uAt + i] * raw[i * cols + j] * vectors[vAt + j];
            }
        }
        return sigma;
    }

    private static int rows(ParamLayout.Param p) {
        return (int) (p.length() / p.shape()[p.shape().length - 1]);
    }

    private static int vectorsOfU(SpectralNorm sn) {
        int total = 0;
        for (String name : sn.names()) {
            total += rows(LAYOUT.get(name));
        }
        return total;
    }

    private static int offsetOfV(SpectralNorm sn, int m) {
        int at = 0;
        for (int k = 0; k < m; k++) {
            ParamLayout.Param p = LAYOUT.get(sn.names().get(k));
            at += (int) p.shape()[p.shape().length - 1];
        }
        return at;
    }

    private static float[] slice(float[] w, ParamLayout.Param p) {
        float[] out = new float[(int) p.length()];
        System.arraycopy(w, (int) p.offset(), out, 0, out.length);
        return out;
    }
}

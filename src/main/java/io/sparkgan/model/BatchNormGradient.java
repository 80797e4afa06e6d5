package io.sparkgan.model;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The gradient of training-mode batch norm over the channels of NCHW x, in plain Java for the CPU.
 * With μ and σ² the batch's own per-channel mean and variance, s = √(σ² + ε), x̂ = (x − μ)/s and
 * y = γ·x̂ + β, for N = n·h·w values a channel (Ioffe and Szegedy 2015, section 3):
 *
 * <pre>
 *   dL/dβ = Σ g,   dL/dγ = Σ g·x̂,   dL/dx = γ/s · (g − dL/dβ/N − x̂·dL/dγ/N)
 * </pre>
 *
 * <p>Why not libnd4j's {@code batchnorm_bp}: M2.1 has no oneDNN path for it, and it was the largest
 * cost after the convolutions in a 64×64×3 step (see docs/performance.md). This reads x and g once
 * for the two sums and once more to write dL/dx. The sums are taken in double, in a fixed order, so
 * the result does not depend on how many threads the kernels use. On a GPU, {@link Kernels} keeps
 * libnd4j's kernel (cuDNN): copying to the host would cost more than it saves.
 */
final class BatchNormGradient {
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private BatchNormGradient() {
    }

    /** {dL/dx, dL/dγ, dL/dβ} for x [n, c, h, w], its statistics [c], γ [c] and dL/dy like x. */
    static INDArray[] of(INDArray x, INDArray mean, INDArray variance, INDArray gamma, INDArray gradOut,
                         double epsilon) {
        int n = (int) x.size(0);
        int channels = (int) x.size(1);
        int plane = (int) (x.length() / ((long) n * channels));
        Scratch scratch = SCRATCH.get();
        double[] xs = scratch.values(0, x);
        double[] g = scratch.values(1, gradOut);
        double[] mu = mean.castTo(DataType.DOUBLE).toDoubleVector();
        double[] var = variance.castTo(DataType.DOUBLE).toDoubleVector();
        double[] gam = gamma.castTo(DataType.DOUBLE).toDoubleVector();

        double[] sumG = new double[channels]; // Σ g
        double[] sumGCentred = new double[channels]; // Σ g·(x − μ) = s·dL/dγ
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < channels; c++) {
                int start = (i * channels + c) * plane;
                double m = mu[c];
                double a = 0;
                double b = 0;
                for (int k = start; k < start + plane; k++) {
                    a += g[k];
                    b += g[k] * (xs[k] - m);
                }
                sumG[c] += a;
                sumGCentred[c] += b;
            }
        }
        double count = (double) n * plane;
        double[] gradGamma = new double[channels];
        for (int c = 0; c < channels; c++) {
            double inverse = 1 / Math.sqrt(var[c] + epsilon);
            gradGamma[c] = sumGCentred[c] * inverse;
            // dL/dx = scale·g − slope·(x − μ) − shift, per channel
            double scale = gam[c] * inverse;
            double slope = scale * inverse * gradGamma[c] / count;
            double shift = scale * sumG[c] / count;
            double m = mu[c];
            for (int i = 0; i < n; i++) {
                int start = (i * channels + c) * plane;
                for (int k = start; k < start + plane; k++) {
                    g[k] = scale * g[k] - slope * (xs[k] - m) - shift; // g is read here for the last time
                }
            }
        }
        INDArray gradInput = Nd4j.createUninitialized(x.dataType(), x.shape());
        scratch.write(g, gradInput);
        return new INDArray[] {gradInput, Nd4j.createFromArray(gradGamma).castTo(x.dataType()),
                Nd4j.createFromArray(sumG).castTo(x.dataType())};
    }

    /** Per-thread arrays, grown as needed: a 64×64 step's activations would otherwise be megabytes of garbage a call. */
    private static final class Scratch {
        private final double[][] doubles = new double[2][0];
        private float[] floats = new float[0];

        /** The values of contiguous {@code a} in slot {@code slot}, as doubles (the array may be longer). */
        double[] values(int slot, INDArray a) {
            INDArray c = HostCopies.plain(a) ? a : a.dup('c');
            int length = (int) c.length();
            if (doubles[slot].length < length) {
                doubles[slot] = new double[length];
            }
            double[] out = doubles[slot];
            if (c.dataType() == DataType.DOUBLE) {
                c.data().asNioDouble().get(0, out, 0, length);
            } else if (c.dataType() == DataType.FLOAT) {
                float[] in = floats(length);
                c.data().asNioFloat().get(0, in, 0, length);
                for (int i = 0; i < length; i++) {
                    out[i] = in[i];
                }
            } else {
                throw new IllegalArgumentException("batch norm's gradient takes float or double, not " + c.dataType());
            }
            return out;
        }

        /** Writes the first {@code target.length()} values into a freshly created {@code target}. */
        void write(double[] values, INDArray target) {
            int length = (int) target.length();
            if (target.dataType() == DataType.DOUBLE) {
                DoubleBuffer out = target.data().asNioDouble();
                out.put(0, values, 0, length);
            } else {
                float[] narrowed = floats(length);
                for (int i = 0; i < length; i++) {
                    narrowed[i] = (float) values[i];
                }
                FloatBuffer out = target.data().asNioFloat();
                out.put(0, narrowed, 0, length);
            }
        }

        private float[] floats(int length) {
            if (floats.length < length) {
                floats = new float[length];
            }
            return floats;
        }
    }
}

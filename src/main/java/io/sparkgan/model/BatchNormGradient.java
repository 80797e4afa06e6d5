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
 * <p>Why not libnd4j's {@code batchnorm_bp}: here it ran as slowly with libnd4j's platform helpers
 * (oneDNN) switched off as on, and it was the largest cost after the convolutions in a 64×64×3 step
 * (docs/performance.md). This reads x and g once for the two sums and once more to write dL/dx, one
 * image plane at a time (so its scratch is one plane, whatever the batch). The sums are taken in
 * double, in a fixed order, so the result does not depend on how many threads the kernels use. On a
 * GPU, {@link Kernels} keeps libnd4j's kernel (cuDNN): copying to the host would cost more than it saves.
 */
final class BatchNormGradient {
    private static final ThreadLocal<Plane> PLANE = ThreadLocal.withInitial(Plane::new);

    private BatchNormGradient() {
    }

    /** {dL/dx, dL/dγ, dL/dβ} for x [n, c, h, w], its statistics [c], γ [c] and dL/dy like x. */
    static INDArray[] of(INDArray x, INDArray mean, INDArray variance, INDArray gamma, INDArray gradOut,
                         double epsilon) {
        int n = (int) x.size(0);
        int channels = (int) x.size(1);
        int size = (int) (x.length() / ((long) n * channels));
        Plane plane = PLANE.get().sized(size);
        Values xs = Values.of(x);
        Values gs = Values.of(gradOut);
        double[] mu = mean.castTo(DataType.DOUBLE).toDoubleVector();
        double[] var = variance.castTo(DataType.DOUBLE).toDoubleVector();
        double[] gam = gamma.castTo(DataType.DOUBLE).toDoubleVector();

        double[] sumG = new double[channels]; // Σ g
        double[] sumGCentred = new double[channels]; // Σ g·(x − μ) = s·dL/dγ
        forEachPlane(n, channels, xs, gs, plane, (start, c, xp, gp) -> {
            double m = mu[c];
            double a = 0;
            double b = 0;
            for (int k = 0; k < size; k++) {
                a += gp[k];
                b += gp[k] * (xp[k] - m);
            }
            sumG[c] += a;
            sumGCentred[c] += b;
        });
        double count = (double) n * size;
        double[] gradGamma = new double[channels];
        double[] scale = new double[channels];
        double[] slope = new double[channels];
        double[] shift = new double[channels];
        for (int c = 0; c < channels; c++) {
            double inverse = 1 / Math.sqrt(var[c] + epsilon);
            gradGamma[c] = sumGCentred[c] * inverse;
            // dL/dx = scale·g − slope·(x − μ) − shift, per channel
            scale[c] = gam[c] * inverse;
            slope[c] = scale[c] * inverse * gradGamma[c] / count;
            shift[c] = scale[c] * sumG[c] / count;
        }
        INDArray gradInput = Nd4j.createUninitialized(x.dataType(), x.shape());
        Values out = Values.of(gradInput);
        if (out.array() != gradInput) {
            // ND4J can give a fresh array strides it calls non-default (a channel axis of 1): write a copy
            gradInput = out.array();
        }
        forEachPlane(n, channels, xs, gs, plane, (start, c, xp, gp) -> {
            double m = mu[c];
            for (int k = 0; k < size; k++) {
                gp[k] = scale[c] * gp[k] - slope[c] * (xp[k] - m) - shift[c];
            }
            out.write(start, gp, plane);
        });
        return new INDArray[] {gradInput, Nd4j.createFromArray(gradGamma).castTo(x.dataType()),
                Nd4j.createFromArray(sumG).castTo(x.dataType())};
    }

    /** What is done with one (image, channel) plane: where it starts, its channel, x's and g's values there. */
    @FunctionalInterface
    private interface PlaneStep {
        void apply(int start, int channel, double[] x, double[] g);
    }

    /** Every (image, channel) plane in turn, image by image: the order the sums are taken in. */
    private static void forEachPlane(int n, int channels, Values xs, Values gs, Plane plane, PlaneStep step) {
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < channels; c++) {
                int start = (i * channels + c) * plane.size;
                step.apply(start, c, xs.read(start, plane.x, plane), gs.read(start, plane.g, plane));
            }
        }
    }

    /** One image plane's values as doubles, and a float plane to move them through; per thread, reused. */
    private static final class Plane {
        private double[] x = new double[0];
        private double[] g = new double[0];
        private float[] floats = new float[0];
        private int size;

        Plane sized(int values) {
            if (x.length < values) {
                x = new double[values];
                g = new double[values];
                floats = new float[values];
            }
            size = values;
            return this;
        }
    }

    /** A float or double array's values, read and written a plane at a time through its memory. */
    private record Values(INDArray array, FloatBuffer floats, DoubleBuffer doubles) {
        /** {@code a}'s values, through a 'c'-order copy ({@link #array}) when its memory is laid out otherwise. */
        static Values of(INDArray a) {
            INDArray c = HostCopies.plain(a) ? a : a.dup('c');
            if (c.dataType() == DataType.FLOAT) {
                return new Values(c, c.data().asNioFloat(), null);
            }
            if (c.dataType() == DataType.DOUBLE) {
                return new Values(c, null, c.data().asNioDouble());
            }
            throw new IllegalArgumentException("batch norm's gradient takes float or double, not " + c.dataType());
        }

        /** Values [start, start + plane size) into {@code into}, which is returned. */
        double[] read(int start, double[] into, Plane plane) {
            if (doubles != null) {
                doubles.get(start, into, 0, plane.size);
            } else {
                floats.get(start, plane.floats, 0, plane.size);
                for (int k = 0; k < plane.size; k++) {
                    into[k] = plane.floats[k];
                }
            }
            return into;
        }

        void write(int start, double[] values, Plane plane) {
            if (doubles != null) {
                doubles.put(start, values, 0, plane.size);
            } else {
                for (int k = 0; k < plane.size; k++) {
                    plane.floats[k] = (float) values[k];
                }
                floats.put(start, plane.floats, 0, plane.size);
            }
        }
    }
}

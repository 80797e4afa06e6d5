package io.sparkgan.model;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * One native kernel at one shape, as a job calls it: what {@link KernelSelfCheck} runs and checks
 * against plain Java. Shapes matter: LAPACK, OpenBLAS and oneDNN switch code paths by size, so a
 * check on small inputs can pass on a machine whose kernels are wrong at the job's sizes.
 *
 * @param kind which kernel
 * @param dtype FLOAT (training, sampling, the evaluator) or DOUBLE (the FID's feature statistics)
 * @param dims GEMM: {m, k, n, transposeA, transposeB} for op(A) [m, k] · op(B) [k, n];
 *             convolutions: {n, cin, h, w, cout, kh, kw, stride, pad} of the forward convolution
 *             (for DECONV2D the convolution it transposes: the transposed one maps [n, cout, oh, ow]
 *             to [n, cin, h, w]); BATCHNORM, MOMENTS, TANH: {n, c, h, w}; RESAMPLE: {n, c, h, w} of
 *             the smaller side (up-sampling's input, the block sum's output)
 */
public record KernelCase(Kind kind, DataType dtype, int[] dims) implements Serializable {

    /** The kernels a job calls natively. */
    public enum Kind {
        /** BLAS gemm ({@code Nd4j.gemm}): dense layers in float, feature statistics and KID in double. */
        GEMM("gemm"),
        /** libnd4j conv2d (oneDNN on CPU, cuDNN on GPU). */
        CONV2D("conv2d"),
        /** conv2d_bp: input, weight and bias gradients. */
        CONV2D_BP("conv2d_bp"),
        /** deconv2d, the transposed convolution (G's layers, and D's input gradient). */
        DECONV2D("deconv2d"),
        /** deconv2d_bp: input, weight and bias gradients. */
        DECONV2D_BP("deconv2d_bp"),
        /** batchnorm with given statistics. */
        BATCHNORM("batchnorm"),
        /** moments: per-channel mean and variance. */
        MOMENTS("moments"),
        /** tanh and tanh_bp. */
        TANH("tanh"),
        /** upsampling2d by 2 (nearest) and its transpose, the sum of each 2×2 block (average pooling's). */
        RESAMPLE("upsampling2d");

        public final String label;

        Kind(String label) {
            this.label = label;
        }
    }

    public KernelCase {
        int expected = switch (kind) {
            case GEMM -> 5;
            case CONV2D, CONV2D_BP, DECONV2D, DECONV2D_BP -> 9;
            case BATCHNORM, MOMENTS, TANH, RESAMPLE -> 4;
        };
        if (dims.length != expected) {
            throw new IllegalArgumentException(kind + " needs " + expected + " dimensions, got "
                    + Arrays.toString(dims));
        }
        dims = dims.clone();
    }

    public static KernelCase gemm(DataType dtype, int m, int k, int n, boolean transposeA, boolean transposeB) {
        return new KernelCase(Kind.GEMM, dtype, new int[] {m, k, n, transposeA ? 1 : 0, transposeB ? 1 : 0});
    }

    /** A convolution-family kernel of the convolution [n, cin, h, w] → [n, cout, oh, ow] in float. */
    public static KernelCase convolution(Kind kind, int n, int cin, int h, int w, int cout, int kernel, int stride,
                                         int pad) {
        return new KernelCase(kind, DataType.FLOAT, new int[] {n, cin, h, w, cout, kernel, kernel, stride, pad});
    }

    public static KernelCase perChannel(Kind kind, int n, int c, int h, int w) {
        return new KernelCase(kind, DataType.FLOAT, new int[] {n, c, h, w});
    }

    /** Output height (width) of the forward convolution. */
    int convolvedHeight() {
        return (dims[2] + 2 * dims[8] - dims[5]) / dims[7] + 1;
    }

    int convolvedWidth() {
        return (dims[3] + 2 * dims[8] - dims[6]) / dims[7] + 1;
    }

    /** The shape as the self-check's line names it, e.g. {@code [32,64]x[64,6272]} or {@code [32,128,7,7]->[32,64,14,14] k4 s2}. */
    public String shape() {
        int[] d = dims;
        return switch (kind) {
            case GEMM -> "[" + d[0] + "," + d[1] + "]x[" + d[1] + "," + d[2] + "]"
                    + (d[3] == 1 ? " A^T" : "") + (d[4] == 1 ? " B^T" : "");
            case CONV2D, CONV2D_BP -> "[" + d[0] + "," + d[1] + "," + d[2] + "," + d[3] + "]->[" + d[0] + "," + d[4]
                    + "," + convolvedHeight() + "," + convolvedWidth() + "] k" + d[5] + " s" + d[7] + " p" + d[8];
            case DECONV2D, DECONV2D_BP -> "[" + d[0] + "," + d[4] + "," + convolvedHeight() + "," + convolvedWidth()
                    + "]->[" + d[0] + "," + d[1] + "," + d[2] + "," + d[3] + "] k" + d[5] + " s" + d[7] + " p" + d[8];
            case BATCHNORM, MOMENTS, TANH, RESAMPLE -> "[" + d[0] + "," + d[1] + "," + d[2] + "," + d[3] + "]";
        };
    }

    /** {@code conv2d float [..]}: the key a JVM remembers a checked case by. */
    public String key() {
        return kind.label + " " + dtype.name().toLowerCase(Locale.ROOT) + " " + shape();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KernelCase c && c.kind == kind && c.dtype == dtype && Arrays.equals(c.dims, dims);
    }

    @Override
    public int[] dims() {
        return dims.clone();
    }

    @Override
    public int hashCode() {
        return 31 * (31 * kind.ordinal() + dtype.ordinal()) + Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return key();
    }
}

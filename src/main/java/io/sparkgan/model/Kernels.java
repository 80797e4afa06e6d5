package io.sparkgan.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The libnd4j kernels our networks' layers call, each called directly: one native call per kernel, with
 * the output arrays allocated here. libnd4j routes convolutions and batch norm to oneDNN on CPU and
 * to cuDNN on GPU ("platform helpers"), so these are the same kernels SameDiff would reach, without
 * its per-op interpretation (shape inference, variable bookkeeping), which cost ~50 ms a step.
 *
 * <p>Images are NCHW. The integer arguments follow libnd4j's declarations (conv2d.cpp, deconv2d.cpp,
 * batchnorm.cpp); a convolution's geometry is a {@link Window}.
 */
public final class Kernels {
    private static final int CHANNEL_AXIS = 1;
    /** Where {@link #recording} collects the kernels a thread calls; null when it is not recording. */
    private static final ThreadLocal<Set<KernelCase>> RECORDED = new ThreadLocal<>();

    private Kernels() {
    }

    /**
     * A square convolution window: kernel side, stride and padding (the same on both axes). libnd4j's
     * integer arguments for it: kernel, stride, padding, dilation 1, explicit padding, NCHW, weights
     * [kH, kW, in, out] for conv2d and [kH, kW, out, in] for deconv2d.
     */
    public record Window(int kernel, int stride, int pad) implements java.io.Serializable {
        /** DCGAN's 4×4, stride 2, padding 1: halves (conv2d) or doubles (deconv2d) the side. */
        public static final Window DCGAN = new Window(4, 2, 1);
        /** 3×3, stride 1, padding 1: keeps the side (residual blocks). */
        public static final Window SAME_3X3 = new Window(3, 1, 1);
        /** 1×1: a per-position linear map of the channels (learned shortcuts). */
        public static final Window POINTWISE = new Window(1, 1, 0);

        int[] arguments() {
            return new int[] {kernel, kernel, stride, stride, pad, pad, 1, 1, 0, 0, 0};
        }

        /** The convolution's output side for an input side. */
        public long convolved(long side) {
            return (side + 2L * pad - kernel) / stride + 1;
        }

        /** The transposed convolution's output side for an input side. */
        public long transposed(long side) {
            return stride * (side - 1) + kernel - 2L * pad;
        }
    }

    /**
     * The native kernels {@code pass} calls, at the shapes it calls them with: what the self-check must
     * run before a JVM trains or generates (docs/architecture.md, "Native kernels and the self-check").
     * Elementwise and reduction ops are left out; so is batch norm's gradient on CPU (plain Java).
     */
    public static List<KernelCase> recording(Runnable pass) {
        Set<KernelCase> cases = new LinkedHashSet<>();
        RECORDED.set(cases);
        try {
            pass.run();
        } finally {
            RECORDED.remove();
        }
        return new ArrayList<>(cases);
    }

    private static void record(Supplier<KernelCase> kernel) {
        Set<KernelCase> cases = RECORDED.get();
        if (cases != null) {
            cases.add(kernel.get());
        }
    }

    /** A convolution-family case, named by the forward convolution [n, in, h, w] → [n, out, h', w']. */
    private static void recordConvolution(KernelCase.Kind kind, long[] input, long outChannels, Window window) {
        record(() -> KernelCase.convolution(kind, (int) input[0], (int) input[1], (int) input[2], (int) input[3],
                (int) outChannels, window.kernel(), window.stride(), window.pad()));
    }

    /** The same for the transposed kernels: named by the convolution they transpose, from its output side. */
    private static void recordTransposed(KernelCase.Kind kind, long[] input, long outChannels, Window window) {
        recordConvolution(kind, new long[] {input[0], outChannels, window.transposed(input[2]),
            window.transposed(input[3])}, input[1], window);
    }

    /** Convolution: [n, in, h, w] → [n, out, h', w']; {@code bias} may be null. */
    public static INDArray conv2d(INDArray x, INDArray weights, INDArray bias, Window window) {
        long[] s = x.shape();
        recordConvolution(KernelCase.Kind.CONV2D, s, weights.size(3), window);
        return convolution("conv2d", window, x, weights, bias, s[0], weights.size(3), window.convolved(s[2]),
                window.convolved(s[3]));
    }

    /** Transposed convolution: [n, in, h, w] → [n, out, h', w']; {@code bias} may be null. */
    public static INDArray deconv2d(INDArray x, INDArray weights, INDArray bias, Window window) {
        long[] s = x.shape();
        recordTransposed(KernelCase.Kind.DECONV2D, s, weights.size(2), window);
        return convolution("deconv2d", window, x, weights, bias, s[0], weights.size(2), window.transposed(s[2]),
                window.transposed(s[3]));
    }

    /** Gradients of {@link #conv2d}: {input, weights, bias (when given)}. */
    public static INDArray[] conv2dBackward(INDArray x, INDArray weights, INDArray bias, INDArray gradOut,
                                            Window window) {
        recordConvolution(KernelCase.Kind.CONV2D_BP, x.shape(), weights.size(3), window);
        return convolutionBackward("conv2d_bp", window, x, weights, bias, gradOut);
    }

    /** Gradients of {@link #deconv2d}: {input, weights, bias (when given)}. */
    public static INDArray[] deconv2dBackward(INDArray x, INDArray weights, INDArray bias, INDArray gradOut,
                                              Window window) {
        recordTransposed(KernelCase.Kind.DECONV2D_BP, x.shape(), weights.size(2), window);
        return convolutionBackward("deconv2d_bp", window, x, weights, bias, gradOut);
    }

    /**
     * The input gradient of {@link #conv2d} alone: conv2d's transpose is the transposed convolution
     * with the same weights array (conv2d's [kH, kW, in, out] is deconv2d's [kH, kW, out, in] for the
     * reverse direction). Half of {@link #conv2dBackward}'s work; on CPU it gives that kernel's input
     * gradient bit for bit (NetworkPassesTest), since both run oneDNN's backward-data convolution.
     * Needs an input side the window maps back exactly (stride 1, or a side it divides).
     */
    public static INDArray conv2dInputGradient(INDArray weights, INDArray gradOut, Window window) {
        return deconv2d(gradOut, weights, null, window);
    }

    /** The input gradient of {@link #deconv2d} alone: the convolution with the same weights array. */
    public static INDArray deconv2dInputGradient(INDArray weights, INDArray gradOut, Window window) {
        return conv2d(gradOut, weights, null, window);
    }

    private static INDArray convolution(String kernel, Window window, INDArray x, INDArray weights, INDArray bias,
                                        long... outShape) {
        INDArray y = Nd4j.createUninitialized(x.dataType(), outShape);
        exec(op(kernel, window.arguments()).addInputs(withOptional(x, weights, bias)).addOutputs(y));
        return y;
    }

    private static INDArray[] convolutionBackward(String kernel, Window window, INDArray x, INDArray weights,
                                                  INDArray bias, INDArray gradOut) {
        INDArray gradInput = Nd4j.createUninitialized(x.dataType(), x.shape());
        INDArray gradWeights = Nd4j.createUninitialized(x.dataType(), weights.shape());
        INDArray[] grads = bias == null
                ? new INDArray[] {gradInput, gradWeights}
                : new INDArray[] {gradInput, gradWeights, Nd4j.createUninitialized(x.dataType(), bias.shape())};
        exec(op(kernel, window.arguments()).addInputs(withOptional(x, weights, bias, gradOut)).addOutputs(grads));
        return grads;
    }

    /**
     * Batch normalisation over the channel axis of NCHW {@code x} with the given statistics:
     * γ·(x − mean)/√(var + ε) + β. {@code mean} and {@code variance} have shape [channels].
     */
    public static INDArray batchNorm(INDArray x, INDArray mean, INDArray variance, INDArray gamma, INDArray beta,
                              double epsilon) {
        record(() -> perChannel(KernelCase.Kind.BATCHNORM, x));
        INDArray y = Nd4j.createUninitialized(x.dataType(), x.shape());
        exec(op("batchnorm", 1, 1, CHANNEL_AXIS).addInputs(x, mean, variance, gamma, beta).addOutputs(y)
                .addFloatingPointArguments(epsilon));
        return y;
    }

    /**
     * Gradients of {@link #batchNorm} when {@code mean} and {@code variance} are x's own batch
     * statistics (population variance): {input, gamma, beta}, through the statistics, as training-mode
     * batch norm needs. On CPU {@link BatchNormGradient} computes them (libnd4j's {@code batchnorm_bp}
     * did not run through oneDNN here and took several times as long); elsewhere libnd4j's kernel, which
     * also differentiates through the statistics (its dL/dI carries the mean and variance terms, and it
     * reports dL/dmean = dL/dvar = 0).
     */
    public static INDArray[] batchNormBackward(INDArray x, INDArray mean, INDArray variance, INDArray gamma,
                                        INDArray beta, INDArray gradOut, double epsilon) {
        if (Nd4j.getEnvironment().isCPU()) {
            return BatchNormGradient.of(x, mean, variance, gamma, gradOut, epsilon);
        }
        return libnd4jBatchNormBackward(x, mean, variance, gamma, beta, gradOut, epsilon);
    }

    /** libnd4j's {@code batchnorm_bp}: what {@link #batchNormBackward} runs off the CPU, and its reference in tests. */
    public static INDArray[] libnd4jBatchNormBackward(INDArray x, INDArray mean, INDArray variance, INDArray gamma,
                                               INDArray beta, INDArray gradOut, double epsilon) {
        INDArray gradInput = Nd4j.createUninitialized(x.dataType(), x.shape());
        INDArray gradMean = Nd4j.createUninitialized(x.dataType(), mean.shape());
        INDArray gradVariance = Nd4j.createUninitialized(x.dataType(), mean.shape());
        INDArray gradGamma = Nd4j.createUninitialized(x.dataType(), gamma.shape());
        INDArray gradBeta = Nd4j.createUninitialized(x.dataType(), beta.shape());
        exec(op("batchnorm_bp", 1, 1, CHANNEL_AXIS).addInputs(x, mean, variance, gamma, beta, gradOut)
                .addOutputs(gradInput, gradMean, gradVariance, gradGamma, gradBeta)
                .addFloatingPointArguments(epsilon));
        return new INDArray[] {gradInput, gradGamma, gradBeta};
    }

    /**
     * max(x, slope·x), elementwise (slope 0 is ReLU). The leaky case is composed of a scalar multiply
     * and a pairwise max: libnd4j's own {@code lrelu} kernel took 3.3 ms on 400k floats where those
     * two take 0.2 ms together (one thread, measured with M2.1).
     */
    public static INDArray leakyRelu(INDArray x, double slope) {
        INDArray y = Nd4j.createUninitialized(x.dataType(), x.shape());
        if (slope == 0) {
            exec(op("relu").addInputs(x).addOutputs(y).addFloatingPointArguments(0.0));
        } else {
            x.mul(slope, y);
            Transforms.max(y, x, false); // in place: y = max(slope·x, x)
        }
        return y;
    }

    /**
     * Gradient of {@link #leakyRelu} with respect to its input {@code x}: gradOut · (1 where x > 0,
     * slope elsewhere). Built from a step mask for the same reason as the forward pass (libnd4j's
     * {@code lrelu_bp} and {@code relu_bp} took 5.5 and 1.8 ms on 400k floats, this takes ~0.4).
     */
    public static INDArray leakyReluBackward(INDArray x, INDArray gradOut, double slope) {
        INDArray grad = Nd4j.createUninitialized(x.dataType(), x.shape());
        Nd4j.exec(new Step(x, grad, 0.0)); // 1 where x > 0, else 0
        if (slope != 0) {
            grad.muli(1 - slope).addi(slope);
        }
        return grad.muli(gradOut);
    }

    /** Mean and population variance of NCHW {@code x} per channel: {mean, variance}, each [channels]. */
    public static INDArray[] channelMoments(INDArray x) {
        record(() -> perChannel(KernelCase.Kind.MOMENTS, x));
        INDArray mean = Nd4j.createUninitialized(x.dataType(), x.size(CHANNEL_AXIS));
        INDArray variance = Nd4j.createUninitialized(x.dataType(), x.size(CHANNEL_AXIS));
        exec(op("moments", 0, 2, 3).addInputs(x).addOutputs(mean, variance));
        return new INDArray[] {mean, variance};
    }

    public static INDArray tanh(INDArray x) {
        record(() -> perChannel(KernelCase.Kind.TANH, x));
        INDArray y = Nd4j.createUninitialized(x.dataType(), x.shape());
        exec(op("tanh").addInputs(x).addOutputs(y));
        return y;
    }

    /** Gradient of tanh at {@code x}. */
    public static INDArray tanhBackward(INDArray x, INDArray gradOut) {
        INDArray grad = Nd4j.createUninitialized(x.dataType(), x.shape());
        exec(op("tanh_bp").addInputs(x, gradOut).addOutputs(grad));
        return grad;
    }

    /**
     * Nearest-neighbour up-sampling by 2: [n, c, h, w] → [n, c, 2h, 2w], each value a 2×2 block
     * (libnd4j's upsampling2d: factors, then 1 for NCHW). A copy, so exact on every processor.
     */
    public static INDArray upsampleNearest(INDArray x) {
        long[] s = x.shape();
        record(() -> perChannel(KernelCase.Kind.RESAMPLE, x));
        INDArray y = Nd4j.createUninitialized(x.dataType(), s[0], s[1], 2 * s[2], 2 * s[3]);
        exec(op("upsampling2d", 2, 2, 1).addInputs(x).addOutputs(y));
        return y;
    }

    /** The sum of each 2×2 block: [n, c, 2h, 2w] → [n, c, h, w], the transpose of {@link #upsampleNearest}. */
    public static INDArray blockSum(INDArray x) {
        long[] s = x.shape();
        record(() -> KernelCase.perChannel(KernelCase.Kind.RESAMPLE, (int) s[0], (int) s[1], (int) s[2] / 2,
                (int) s[3] / 2));
        return x.dup('c').reshape('c', s[0], s[1], s[2] / 2, 2, s[3] / 2, 2).sum(3, 5);
    }

    /** a·b (BLAS gemm), optionally with either side transposed. */
    public static INDArray matmul(INDArray a, INDArray b, boolean transposeA, boolean transposeB) {
        record(() -> KernelCase.gemm(a.dataType(), (int) a.size(transposeA ? 1 : 0), (int) a.size(transposeA ? 0 : 1),
                (int) b.size(transposeB ? 0 : 1), transposeA, transposeB));
        return Nd4j.gemm(a, b, transposeA, transposeB);
    }

    private static KernelCase perChannel(KernelCase.Kind kind, INDArray x) {
        long[] s = x.shape();
        return KernelCase.perChannel(kind, (int) s[0], (int) s[1], (int) s[2], (int) s[3]);
    }

    private static DynamicCustomOp.DynamicCustomOpsBuilder op(String name, int... integerArgs) {
        return DynamicCustomOp.builder(name).addIntegerArguments(integerArgs);
    }

    private static void exec(DynamicCustomOp.DynamicCustomOpsBuilder builder) {
        Nd4j.exec(builder.build());
    }

    private static INDArray[] withOptional(INDArray... arrays) {
        return Arrays.stream(arrays).filter(Objects::nonNull).toArray(INDArray[]::new);
    }
}

package io.sparkgan.model;

import java.util.Arrays;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.scalar.Step;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The libnd4j kernels one DCGAN step needs, each called directly: one native call per kernel, with
 * the output arrays allocated here. libnd4j routes convolutions and batch norm to oneDNN on CPU and
 * to cuDNN on GPU ("platform helpers"), so these are the same kernels SameDiff would reach, without
 * its per-op interpretation (shape inference, variable bookkeeping), which cost ~50 ms a step.
 *
 * <p>All convolutions here are DCGAN's: 4×4 kernels, stride 2, padding 1, NCHW. The integer
 * arguments follow libnd4j's declarations (conv2d.cpp, deconv2d.cpp, batchnorm.cpp): kernel, stride,
 * padding, dilation, padding mode (0 = explicit), data format (0 = NCHW), weight format (0 =
 * [kH, kW, in, out] for conv2d, [kH, kW, out, in] for deconv2d).
 */
final class Kernels {
    private static final int[] DCGAN_CONV = {4, 4, 2, 2, 1, 1, 1, 1, 0, 0, 0};
    private static final int CHANNEL_AXIS = 1;

    private Kernels() {
    }

    /** Stride-2 4×4 convolution: [n, in, h, w] → [n, out, h/2, w/2]; {@code bias} may be null. */
    static INDArray conv2d(INDArray x, INDArray weights, INDArray bias) {
        long[] s = x.shape();
        return convolution("conv2d", x, weights, bias, s[0], weights.size(3), s[2] / 2, s[3] / 2);
    }

    /** Stride-2 4×4 transposed convolution: [n, in, h, w] → [n, out, 2h, 2w]; {@code bias} may be null. */
    static INDArray deconv2d(INDArray x, INDArray weights, INDArray bias) {
        long[] s = x.shape();
        return convolution("deconv2d", x, weights, bias, s[0], weights.size(2), s[2] * 2, s[3] * 2);
    }

    /** Gradients of {@link #conv2d}: {input, weights, bias (when given)}. */
    static INDArray[] conv2dBackward(INDArray x, INDArray weights, INDArray bias, INDArray gradOut) {
        return convolutionBackward("conv2d_bp", x, weights, bias, gradOut);
    }

    /** Gradients of {@link #deconv2d}: {input, weights, bias (when given)}. */
    static INDArray[] deconv2dBackward(INDArray x, INDArray weights, INDArray bias, INDArray gradOut) {
        return convolutionBackward("deconv2d_bp", x, weights, bias, gradOut);
    }

    /**
     * The input gradient of {@link #conv2d} alone: conv2d's transpose is the transposed convolution
     * with the same weights array (conv2d's [kH, kW, in, out] is deconv2d's [kH, kW, out, in] for the
     * reverse direction). Half of {@link #conv2dBackward}'s work; on CPU it gives that kernel's input
     * gradient bit for bit (DcganPassesTest), since both run oneDNN's backward-data convolution.
     */
    static INDArray conv2dInputGradient(INDArray weights, INDArray gradOut) {
        return deconv2d(gradOut, weights, null);
    }

    /** The input gradient of {@link #deconv2d} alone: the convolution with the same weights array. */
    static INDArray deconv2dInputGradient(INDArray weights, INDArray gradOut) {
        return conv2d(gradOut, weights, null);
    }

    private static INDArray convolution(String kernel, INDArray x, INDArray weights, INDArray bias, long... outShape) {
        INDArray y = Nd4j.createUninitialized(x.dataType(), outShape);
        exec(op(kernel, DCGAN_CONV).addInputs(withOptional(x, weights, bias)).addOutputs(y));
        return y;
    }

    private static INDArray[] convolutionBackward(String kernel, INDArray x, INDArray weights, INDArray bias,
                                                  INDArray gradOut) {
        INDArray gradInput = Nd4j.createUninitialized(x.dataType(), x.shape());
        INDArray gradWeights = Nd4j.createUninitialized(x.dataType(), weights.shape());
        INDArray[] grads = bias == null
                ? new INDArray[] {gradInput, gradWeights}
                : new INDArray[] {gradInput, gradWeights, Nd4j.createUninitialized(x.dataType(), bias.shape())};
        exec(op(kernel, DCGAN_CONV).addInputs(withOptional(x, weights, bias, gradOut)).addOutputs(grads));
        return grads;
    }

    /**
     * Batch normalisation over the channel axis of NCHW {@code x} with the given statistics:
     * γ·(x − mean)/√(var + ε) + β. {@code mean} and {@code variance} have shape [channels].
     */
    static INDArray batchNorm(INDArray x, INDArray mean, INDArray variance, INDArray gamma, INDArray beta,
                              double epsilon) {
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
    static INDArray[] batchNormBackward(INDArray x, INDArray mean, INDArray variance, INDArray gamma,
                                        INDArray beta, INDArray gradOut, double epsilon) {
        if (Nd4j.getEnvironment().isCPU()) {
            return BatchNormGradient.of(x, mean, variance, gamma, gradOut, epsilon);
        }
        return libnd4jBatchNormBackward(x, mean, variance, gamma, beta, gradOut, epsilon);
    }

    /** libnd4j's {@code batchnorm_bp}: what {@link #batchNormBackward} runs off the CPU, and its reference in tests. */
    static INDArray[] libnd4jBatchNormBackward(INDArray x, INDArray mean, INDArray variance, INDArray gamma,
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
    static INDArray leakyRelu(INDArray x, double slope) {
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
    static INDArray leakyReluBackward(INDArray x, INDArray gradOut, double slope) {
        INDArray grad = Nd4j.createUninitialized(x.dataType(), x.shape());
        Nd4j.exec(new Step(x, grad, 0.0)); // 1 where x > 0, else 0
        if (slope != 0) {
            grad.muli(1 - slope).addi(slope);
        }
        return grad.muli(gradOut);
    }

    /** Mean and population variance of NCHW {@code x} per channel: {mean, variance}, each [channels]. */
    static INDArray[] channelMoments(INDArray x) {
        INDArray mean = Nd4j.createUninitialized(x.dataType(), x.size(CHANNEL_AXIS));
        INDArray variance = Nd4j.createUninitialized(x.dataType(), x.size(CHANNEL_AXIS));
        exec(op("moments", 0, 2, 3).addInputs(x).addOutputs(mean, variance));
        return new INDArray[] {mean, variance};
    }

    static INDArray tanh(INDArray x) {
        INDArray y = Nd4j.createUninitialized(x.dataType(), x.shape());
        exec(op("tanh").addInputs(x).addOutputs(y));
        return y;
    }

    /** Gradient of tanh at {@code x}. */
    static INDArray tanhBackward(INDArray x, INDArray gradOut) {
        INDArray grad = Nd4j.createUninitialized(x.dataType(), x.shape());
        exec(op("tanh_bp").addInputs(x, gradOut).addOutputs(grad));
        return grad;
    }

    /** a·b (BLAS gemm), optionally with either side transposed. */
    static INDArray matmul(INDArray a, INDArray b, boolean transposeA, boolean transposeB) {
        return Nd4j.gemm(a, b, transposeA, transposeB);
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

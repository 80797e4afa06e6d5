package io.sparkgan.model.layers;

import io.sparkgan.model.Kernels;
import io.sparkgan.model.Kernels.Window;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.ParamLayout.Init;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.DeConv2DConfig;

/**
 * A convolution or transposed convolution over NCHW feature maps, with a bias per output channel or
 * none (when a normalisation follows). Linear in its input, so the tangent is the same convolution
 * without the bias.
 */
public final class Convolution implements Layer {
    private final String layer;
    private final boolean transposed;
    private final int in;
    private final int out;
    private final Window window;
    private final boolean bias;
    private final EqualisedWeights equalised;

    private Convolution(String layer, boolean transposed, int in, int out, Window window, boolean bias,
                        EqualisedWeights equalised) {
        this.layer = layer;
        this.transposed = transposed;
        this.in = in;
        this.out = out;
        this.window = window;
        this.bias = bias;
        this.equalised = equalised;
    }

    /** A convolution with an equalised learning rate: weights at unit scale, times multiplier/√(k²·in) as it runs. */
    public static Convolution equalised(String layer, int in, int out, Window window, boolean bias,
                                        double multiplier) {
        return new Convolution(layer, false, in, out, window, bias,
                new EqualisedWeights((long) window.kernel() * window.kernel() * in, multiplier));
    }

    /** A convolution from {@code in} to {@code out} channels, with a bias or without. */
    public static Convolution of(String layer, int in, int out, Window window, boolean bias) {
        return new Convolution(layer, false, in, out, window, bias, null);
    }

    /** A transposed convolution (DCGAN's up-sampling) from {@code in} to {@code out} channels. */
    public static Convolution transposed(String layer, int in, int out, Window window, boolean bias) {
        return new Convolution(layer, true, in, out, window, bias, null);
    }

    /**
     * Weights [k, k, in, out] (a transposed convolution's [k, k, out, in], libnd4j's layouts); the bias
     * with PyTorch's fan-in, the weight's second dimension in PyTorch's layout times the kernel's area:
     * input channels for a convolution, output channels for a transposed one.
     */
    @Override
    public void declare(ParamLayout.Builder layout) {
        int k = window.kernel();
        if (equalised != null) {
            layout.equalised(Names.weights(layer), equalised.spread(), k, k, in, out);
        } else if (transposed) {
            layout.add(Names.weights(layer), Init.WEIGHT, k, k, out, in);
        } else {
            layout.add(Names.weights(layer), Init.WEIGHT, k, k, in, out);
        }
        if (bias) {
            layout.bias(Names.bias(layer), (long) k * k * (transposed ? out : in), out);
        }
    }

    @Override
    public Node apply(Tape tape, Params p, Node x) {
        INDArray w = EqualisedWeights.scaled(equalised, p.get(Names.weights(layer)));
        INDArray b = bias ? p.get(Names.bias(layer)) : null;
        INDArray y = forward(x.value(), w, b);
        INDArray yDot = x.tangent() == null ? null : forward(x.tangent(), w, null);
        return tape.record(new Dual(y, yDot), x, (gradOut, sink) -> sink == null
                ? new Dual(inputGradient(w, gradOut.value()), inputGradient(w, gradOut.tangent()))
                : new Dual(backward(x.value(), w, b, gradOut.value(), sink),
                        backward(x.tangent(), w, null, gradOut.tangent(), sink)));
    }

    private INDArray forward(INDArray x, INDArray w, INDArray b) {
        return transposed ? Kernels.deconv2d(x, w, b, window) : Kernels.conv2d(x, w, b, window);
    }

    /** One stream of the backward pass: adds the weights' (and bias's) gradients, returns the input's. */
    private INDArray backward(INDArray x, INDArray w, INDArray b, INDArray gradOut, Params sink) {
        if (gradOut == null) {
            return null;
        }
        INDArray[] grads = transposed ? Kernels.deconv2dBackward(x, w, b, gradOut, window)
                : Kernels.conv2dBackward(x, w, b, gradOut, window);
        sink.get(Names.weights(layer)).addi(EqualisedWeights.chained(equalised, grads[1]));
        if (b != null) {
            sink.get(Names.bias(layer)).addi(grads[2]);
        }
        return grads[0];
    }

    private INDArray inputGradient(INDArray w, INDArray gradOut) {
        if (gradOut == null) {
            return null;
        }
        return transposed ? Kernels.deconv2dInputGradient(w, gradOut, window)
                : Kernels.conv2dInputGradient(w, gradOut, window);
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable x) {
        SDVariable w = EqualisedWeights.scaled(equalised, sd.getVariable(Names.weights(layer)));
        SDVariable b = bias ? sd.getVariable(Names.bias(layer)) : null;
        int k = window.kernel();
        int s = window.stride();
        int pad = window.pad();
        if (transposed) {
            DeConv2DConfig c = DeConv2DConfig.builder().kH(k).kW(k).sH(s).sW(s).pH(pad).pW(pad).isSameMode(false)
                    .dataFormat("NCHW").build();
            return b == null ? sd.cnn().deconv2d(x, w, c) : sd.cnn().deconv2d(x, w, b, c);
        }
        Conv2DConfig c = Conv2DConfig.builder().kH(k).kW(k).sH(s).sW(s).pH(pad).pW(pad).dataFormat("NCHW").build();
        return b == null ? sd.cnn().conv2d(x, w, c) : sd.cnn().conv2d(x, w, b, c);
    }
}

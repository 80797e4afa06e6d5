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
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.DeConv2DConfig;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * StyleGAN2's modulated convolution (Karras et al., "Analyzing and Improving the Image Quality of
 * StyleGAN", 2020, section 2.2): each image's style s scales the weights' input channels, w'ᵢⱼₖ = sᵢ·wᵢⱼₖ,
 * and demodulation rescales each output channel to unit expected second moment,
 * w''ᵢⱼₖ = w'ᵢⱼₖ / √(Σᵢₖ w'ᵢⱼₖ² + ε). Run as the paper's non-fused form: the input scaled by s, one
 * ordinary convolution shared by the batch, the output scaled by the demodulation factors
 * dⱼ = (Σᵢ sᵢ²·Σₖ wᵢⱼₖ² + ε)^(−½); then a bias per output channel.
 *
 * <p>Weights [k, k, in, out] with an equalised learning rate. Up-sampling (the first convolution of a
 * resolution) is the transposed 3×3 stride-2 convolution followed by the [1, 3, 3, 1] filter, as
 * StyleGAN2 runs it, so it costs a plain convolution at the input's side. Generators only: no tangent.
 */
public final class ModulatedConvolution {
    private static final double EPSILON = 1e-8;
    private static final Window UP = new Window(3, 2, 0);
    private final String layer;
    private final int in;
    private final int out;
    private final int kernel;
    private final boolean up;
    private final boolean demodulate;
    private final EqualisedWeights equalised;
    private final FirResample blur;

    private ModulatedConvolution(String layer, int in, int out, int kernel, boolean up, boolean demodulate) {
        this.layer = layer;
        this.in = in;
        this.out = out;
        this.kernel = kernel;
        this.up = up;
        this.demodulate = demodulate;
        this.equalised = new EqualisedWeights((long) kernel * kernel * in, 1);
        this.blur = up ? FirResample.blur(out, 1, 4) : null; // 2h + 1 → 2h, times 4 for the zeros
    }

    /** A synthesis layer's 3×3 convolution, demodulated; {@code up} doubles the side. */
    public static ModulatedConvolution conv3x3(String layer, int in, int out, boolean up) {
        return new ModulatedConvolution(layer, in, out, 3, up, true);
    }

    /** toRGB's 1×1 convolution: modulated, not demodulated (its output is an image, not features). */
    public static ModulatedConvolution toImage(String layer, int in, int channels) {
        return new ModulatedConvolution(layer, in, channels, 1, false, false);
    }

    /** The style length this layer takes: one scale per input channel. */
    public int styles() {
        return in;
    }

    public void declare(ParamLayout.Builder layout) {
        layout.equalised(Names.weights(layer), 1, kernel, kernel, in, out);
        layout.add(Names.bias(layer), Init.ZERO, out);
    }

    /** y for feature maps {@code x} [n, in, h, w] and styles [n, in]. */
    public Node apply(Tape tape, Params p, Node x, Node styles) {
        if (x.tangent() != null || styles.tangent() != null) {
            throw new IllegalStateException(layer + ": a modulated convolution carries no tangent (generators need none)");
        }
        INDArray w = EqualisedWeights.scaled(equalised, p.get(Names.weights(layer)));
        INDArray s = styles.value();
        INDArray scaled = perChannel(x.value(), s);
        INDArray kernelWeights = up ? transposedWeights(w) : w; // permuted once for both directions
        INDArray convolved = convolve(scaled, kernelWeights);
        INDArray squares = demodulate ? w.mul(w).sum(0, 1) : null; // Σₖ w² [in, out]
        INDArray factors = demodulate ? demodulation(s, squares) : null;
        INDArray y = demodulate ? perChannel(convolved, factors) : convolved; // toRGB's backward needs no copy
        y = y.addi(p.get(Names.bias(layer)).reshape(1, out, 1, 1));
        return tape.record(Dual.of(y), new Node[] {x, styles}, (gradOut, sink) -> {
            INDArray g = gradOut.value();
            if (sink != null) {
                sink.get(Names.bias(layer)).addi(g.sum(0, 2, 3));
            }
            INDArray gradStyles = Nd4j.zerosLike(s);
            INDArray gradConvolved = g;
            INDArray gradW = sink == null ? null : Nd4j.zerosLike(w);
            if (demodulate) {
                // d = (q + ε)^(−½), q = s²·Σₖw²: dq = −½ d³ dd, then q's two factors
                INDArray gradFactors = g.mul(convolved).sum(2, 3);
                gradConvolved = perChannel(g, factors);
                INDArray gradQ = factors.mul(factors).muli(factors).muli(gradFactors).muli(-0.5);
                gradStyles.addi(s.mul(Kernels.matmul(gradQ, squares, false, true)).muli(2));
                if (gradW != null) {
                    INDArray gradSquares = Kernels.matmul(s.mul(s), gradQ, true, false); // [in, out]
                    gradW.addi(w.mul(gradSquares.reshape(1, 1, in, out)).muli(2));
                }
            }
            INDArray gradScaled = convolveBackward(scaled, kernelWeights, gradConvolved, gradW);
            gradStyles.addi(gradScaled.mul(x.value()).sum(2, 3));
            if (sink != null) {
                sink.get(Names.weights(layer)).addi(EqualisedWeights.chained(equalised, gradW));
            }
            return new Dual[] {Dual.of(perChannel(gradScaled, s)), Dual.of(gradStyles)};
        });
    }

    /** v [n, c, h, w] times f [n, c], broadcast over positions. */
    private static INDArray perChannel(INDArray v, INDArray f) {
        INDArray result = Nd4j.createUninitialized(v.dataType(), v.shape());
        Nd4j.exec(new BroadcastMulOp(v, f, result, 0, 1));
        return result;
    }

    private static INDArray demodulation(INDArray s, INDArray squares) {
        return Transforms.pow(Kernels.matmul(s.mul(s), squares, false, false).addi(EPSILON), -0.5, false);
    }

    /** The convolution with the kernel's weights ({@link #transposedWeights} when up-sampling). */
    private INDArray convolve(INDArray scaled, INDArray kernelWeights) {
        if (up) {
            return blur.forward(Kernels.deconv2d(scaled, kernelWeights, null, UP));
        }
        return Kernels.conv2d(scaled, kernelWeights, null, window());
    }

    /**
     * The input's gradient through the convolution; adds the used weights' ([k, k, in, out]) into
     * {@code gradW} (null: none wanted).
     */
    private INDArray convolveBackward(INDArray scaled, INDArray kernelWeights, INDArray g, INDArray gradW) {
        Window window = window();
        if (up) {
            long[] s = scaled.shape();
            long side = UP.transposed(s[2]);
            INDArray gradDeconv = blur.transpose(g, new long[] {s[0], out, side, side});
            if (gradW == null) {
                return Kernels.deconv2dInputGradient(kernelWeights, gradDeconv, UP);
            }
            INDArray[] grads = Kernels.deconv2dBackward(scaled, kernelWeights, null, gradDeconv, UP);
            gradW.addi(grads[1].permute(0, 1, 3, 2));
            return grads[0];
        }
        if (gradW == null) {
            return Kernels.conv2dInputGradient(kernelWeights, g, window);
        }
        INDArray[] grads = Kernels.conv2dBackward(scaled, kernelWeights, null, g, window);
        gradW.addi(grads[1]);
        return grads[0];
    }

    private Window window() {
        return kernel == 3 ? Window.SAME_3X3 : Window.POINTWISE;
    }

    /** libnd4j's transposed convolution takes [k, k, out, in]. */
    private static INDArray transposedWeights(INDArray w) {
        return w.permute(0, 1, 3, 2).dup('c');
    }

    /** The graph form, for export: the same non-fused computation. */
    public SDVariable graph(SameDiff sd, SDVariable x, SDVariable styles) {
        SDVariable w = EqualisedWeights.scaled(equalised, sd.getVariable(Names.weights(layer)));
        SDVariable scaled = x.mul(styles.reshape(-1, in, 1, 1));
        SDVariable y;
        if (up) {
            y = blur.graph(sd, sd.cnn().deconv2d(scaled, w.permute(0, 1, 3, 2), DeConv2DConfig.builder()
                    .kH(3).kW(3).sH(2).sW(2).pH(0).pW(0).isSameMode(false).dataFormat("NCHW").build()));
        } else {
            int pad = kernel / 2;
            y = sd.cnn().conv2d(scaled, w, Conv2DConfig.builder().kH(kernel).kW(kernel).sH(1).sW(1).pH(pad).pW(pad)
                    .dataFormat("NCHW").build());
        }
        if (demodulate) {
            SDVariable q = styles.mul(styles).mmul(w.mul(w).sum(0, 1)).add(EPSILON);
            y = y.mul(sd.math().rsqrt(q).reshape(-1, out, 1, 1));
        }
        return y.add(sd.getVariable(Names.bias(layer)).reshape(1, out, 1, 1));
    }
}

package io.sparkgan.model.layers;

import io.sparkgan.model.Kernels;
import io.sparkgan.model.Kernels.Window;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.DeConv2DConfig;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Up- or down-sampling by 2 through the low-pass FIR filter [1, 3, 3, 1] ⊗ [1, 3, 3, 1] / 64
 * (StyleGAN2's, Karras et al. 2020, after Zhang 2019's anti-aliasing): up-sampling is the transposed
 * 4×4, stride-2, padding-1 convolution with that filter times 4 (the zeros between samples), down-sampling
 * the 4×4, stride-2, padding-1 convolution with it, each channel apart. Both run as DCGAN's native
 * convolutions over the channels folded into the batch ([n·c, 1, h, w]). Linear: tangents and
 * adjoints take the same map and its transpose.
 */
public final class FirResample implements Layer {
    private static final double[] TAPS = {1, 3, 3, 1};
    private final boolean transposed;
    private final Window window;
    private final double gain;
    private final int channels;

    private FirResample(boolean transposed, Window window, double gain, int channels) {
        this.transposed = transposed;
        this.window = window;
        this.gain = gain;
        this.channels = channels;
    }

    /** Up-sampling of feature maps of {@code channels} channels (the export graph needs the count). */
    public static FirResample up(int channels) {
        return new FirResample(true, Window.DCGAN, 4, channels);
    }

    public static FirResample down(int channels) {
        return new FirResample(false, Window.DCGAN, 1, channels);
    }

    /**
     * The filter alone, stride 1, {@code pad} zeros each side (side h → h + 2·pad − 3), times
     * {@code gain}: what StyleGAN2 runs before a stride-2 convolution (pad 2, gain 1) and after a
     * stride-2 transposed one (pad 1, gain 4), so that a resampling convolution costs what a plain one does.
     */
    public static FirResample blur(int channels, int pad, double gain) {
        if (pad < 0 || pad > 3) {
            throw new IllegalArgumentException("a blur pads by 0 to 3, not " + pad);
        }
        return new FirResample(false, new Window(4, 1, pad), gain, channels);
    }

    /** The 4×4 filter as a one-channel convolution's weights [4, 4, 1, 1]. */
    private static INDArray filter(DataType type, double gain) {
        double[] w = new double[16];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                w[4 * i + j] = gain * TAPS[i] * TAPS[j] / 64;
            }
        }
        return Nd4j.create(w, new long[] {4, 4, 1, 1}, 'c').castTo(type);
    }

    @Override
    public Node apply(Tape tape, Params p, Node x) {
        long[] shape = x.value().shape();
        return tape.record(new Dual(forward(x.value()), forward(x.tangent())), x,
                (gradOut, sink) -> new Dual(transpose(gradOut.value(), shape), transpose(gradOut.tangent(), shape)));
    }

    /** The filter applied to every channel of {@code x} (null stays null). */
    INDArray forward(INDArray x) {
        if (x == null) {
            return null;
        }
        long[] shape = x.shape();
        INDArray w = filter(x.dataType(), gain);
        INDArray planes = x.dup('c').reshape('c', shape[0] * shape[1], 1, shape[2], shape[3]);
        INDArray y = transposed ? Kernels.deconv2d(planes, w, null, window) : Kernels.conv2d(planes, w, null, window);
        return y.reshape('c', shape[0], shape[1], y.size(2), y.size(3));
    }

    /** The adjoint, back to {@code inputShape}: the other direction's kernel with the same filter (its transpose). */
    INDArray transpose(INDArray g, long[] inputShape) {
        if (g == null) {
            return null;
        }
        long[] s = g.shape();
        INDArray w = filter(g.dataType(), gain);
        INDArray planes = g.dup('c').reshape('c', s[0] * s[1], 1, s[2], s[3]);
        INDArray x;
        if (window.stride() == 1) {
            // the filter is symmetric, so a blur's transpose is the same blur padded by 3 − pad: a forward
            // convolution, which runs on oneDNN's fast path where a stride-1 transposed one does not
            x = Kernels.conv2d(planes, w, null, new Window(4, 1, 3 - window.pad()));
        } else {
            x = transposed ? Kernels.deconv2dInputGradient(w, planes, window)
                    : Kernels.conv2dInputGradient(w, planes, window);
        }
        return x.reshape('c', inputShape);
    }

    /** The graph form: one convolution over all channels with the filter on its diagonal (channel to itself). */
    @Override
    public SDVariable graph(SameDiff sd, SDVariable x) {
        INDArray one = filter(x.dataType(), gain);
        INDArray w = Nd4j.zeros(x.dataType(), 4, 4, channels, channels);
        for (int c = 0; c < channels; c++) {
            w.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(c), NDArrayIndex.point(c))
                    .assign(one.reshape(4, 4));
        }
        SDVariable weights = sd.constant(w);
        int k = window.kernel();
        int s = window.stride();
        int pad = window.pad();
        if (transposed) {
            return sd.cnn().deconv2d(x, weights, DeConv2DConfig.builder().kH(k).kW(k).sH(s).sW(s).pH(pad).pW(pad)
                    .isSameMode(false).dataFormat("NCHW").build());
        }
        return sd.cnn().conv2d(x, weights, Conv2DConfig.builder().kH(k).kW(k).sH(s).sW(s).pH(pad).pW(pad)
                .dataFormat("NCHW").build());
    }
}

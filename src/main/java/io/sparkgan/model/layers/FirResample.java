package io.sparkgan.model.layers;

import io.sparkgan.model.Kernels;
import io.sparkgan.model.Kernels.Window;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
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
    private final boolean up;
    private final int channels;

    private FirResample(boolean up, int channels) {
        this.up = up;
        this.channels = channels;
    }

    /** Up-sampling of feature maps of {@code channels} channels (the export graph needs the count). */
    public static FirResample up(int channels) {
        return new FirResample(true, channels);
    }

    public static FirResample down(int channels) {
        return new FirResample(false, channels);
    }

    /** The 4×4 filter as a one-channel convolution's weights [4, 4, 1, 1]. */
    private static INDArray filter(org.nd4j.linalg.api.buffer.DataType type, double gain) {
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
        INDArray w = filter(x.value().dataType(), up ? 4 : 1);
        return tape.record(new Dual(forward(x.value(), w, shape), forward(x.tangent(), w, shape)), x,
                (gradOut, sink) -> new Dual(transpose(gradOut.value(), w, shape), transpose(gradOut.tangent(), w, shape)));
    }

    private INDArray forward(INDArray x, INDArray w, long[] shape) {
        if (x == null) {
            return null;
        }
        INDArray planes = x.dup('c').reshape('c', shape[0] * shape[1], 1, shape[2], shape[3]);
        INDArray y = up ? Kernels.deconv2d(planes, w, null, Window.DCGAN) : Kernels.conv2d(planes, w, null, Window.DCGAN);
        return y.reshape('c', shape[0], shape[1], y.size(2), y.size(3));
    }

    /** The adjoint: the other direction's kernel with the same filter (its transpose). */
    private INDArray transpose(INDArray g, INDArray w, long[] inputShape) {
        if (g == null) {
            return null;
        }
        long[] s = g.shape();
        INDArray planes = g.dup('c').reshape('c', s[0] * s[1], 1, s[2], s[3]);
        INDArray x = up ? Kernels.deconv2dInputGradient(w, planes, Window.DCGAN)
                : Kernels.conv2dInputGradient(w, planes, Window.DCGAN);
        return x.reshape('c', inputShape);
    }

    /** The graph form: one convolution over all channels with the filter on its diagonal (channel to itself). */
    @Override
    public SDVariable graph(SameDiff sd, SDVariable x) {
        INDArray one = filter(x.dataType(), up ? 4 : 1);
        INDArray w = Nd4j.zeros(x.dataType(), 4, 4, channels, channels);
        for (int c = 0; c < channels; c++) {
            w.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.point(c), NDArrayIndex.point(c))
                    .assign(one.reshape(4, 4));
        }
        SDVariable weights = sd.constant(w);
        if (up) {
            return sd.cnn().deconv2d(x, weights, DeConv2DConfig.builder().kH(4).kW(4).sH(2).sW(2).pH(1).pW(1)
                    .isSameMode(false).dataFormat("NCHW").build());
        }
        return sd.cnn().conv2d(x, weights, Conv2DConfig.builder().kH(4).kW(4).sH(2).sW(2).pH(1).pW(1)
                .dataFormat("NCHW").build());
    }
}

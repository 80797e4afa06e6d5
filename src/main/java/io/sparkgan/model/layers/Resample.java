package io.sparkgan.model.layers;

import io.sparkgan.model.Kernels;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;

/**
 * Up- and down-sampling by 2 without weights: nearest-neighbour up-sampling (each pixel a 2×2 block)
 * and 2×2 average pooling, SNGAN's and BigGAN's resampling in residual blocks. Each is linear, and the
 * other's transpose up to a factor 4, so tangents and adjoints take the same maps.
 */
public final class Resample implements Layer {
    public static final Resample NEAREST_UP = new Resample(true);
    public static final Resample AVERAGE_DOWN = new Resample(false);
    private final boolean up;

    private Resample(boolean up) {
        this.up = up;
    }

    @Override
    public Node apply(Tape tape, Params p, Node x) {
        return tape.record(new Dual(forward(x.value()), forward(x.tangent())), x,
                (gradOut, sink) -> new Dual(transpose(gradOut.value()), transpose(gradOut.tangent())));
    }

    private INDArray forward(INDArray x) {
        if (x == null) {
            return null;
        }
        return up ? Kernels.upsampleNearest(x) : Kernels.blockSum(x).muli(0.25);
    }

    private INDArray transpose(INDArray g) {
        if (g == null) {
            return null;
        }
        return up ? Kernels.blockSum(g) : Kernels.upsampleNearest(g).muli(0.25);
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable x) {
        if (up) {
            return sd.cnn().upsampling2d(x, 2, 2, true);
        }
        return sd.cnn().avgPooling2d(x, Pooling2DConfig.builder().kH(2).kW(2).sH(2).sW(2)
                .paddingMode(PaddingMode.VALID).isNHWC(false).build());
    }
}

package io.sparkgan.model.layers;

import io.sparkgan.model.Normalisation;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A normalisation that takes each image's statistics apart from the others', with a scale and offset
 * per channel: layer norm (Ba, Kiros and Hinton 2016) over an image's channels and positions together,
 * as Gulrajani et al.'s WGAN-GP critic uses it, or instance norm (Ulyanov, Vedaldi and Lempitsky 2016)
 * over each channel's positions, pix2pix's and CycleGAN's. Per image, so a per-image gradient penalty
 * can be taken through either: both carry a tangent, and that tangent's backward pass
 * ({@link NormJacobian}).
 */
public final class PerImageNorm implements Layer {
    private final String layer;
    private final int channels;
    private final int[] over;

    private PerImageNorm(String layer, int channels, int[] over) {
        this.layer = layer;
        this.channels = channels;
        this.over = over;
    }

    /** Layer norm: each image's channels and positions normalised together. */
    public static PerImageNorm layer(String layer, int channels) {
        return new PerImageNorm(layer, channels, NormJacobian.IMAGE);
    }

    /** Instance norm: each image's channels normalised apart, over their positions. */
    public static PerImageNorm instance(String layer, int channels) {
        return new PerImageNorm(layer, channels, NormJacobian.PLANE);
    }

    @Override
    public void declare(ParamLayout.Builder layout) {
        BatchNorm.declareScaleAndOffset(layout, layer, channels);
    }

    @Override
    public Node apply(Tape tape, Params p, Node x) {
        NormJacobian norm = new NormJacobian(x.value(), p.get(Names.gamma(layer)), Normalisation.EPSILON, over);
        INDArray y = norm.output(p.get(Names.beta(layer)));
        INDArray yDot = x.tangent() == null ? null : norm.tangent(x.tangent());
        return tape.record(new Dual(y, yDot), x, (gradOut, sink) -> {
            INDArray[] grads = norm.backward(gradOut.value(), gradOut.tangent(), x.tangent(),
                    sink == null ? null : sink.get(Names.gamma(layer)),
                    sink == null ? null : sink.get(Names.beta(layer)));
            return new Dual(grads[0], grads[1]);
        });
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable x) {
        return BatchNorm.scaleAndShift(sd, BatchNorm.standardise(sd, x, over), sd.getVariable(Names.gamma(layer)),
                sd.getVariable(Names.beta(layer)), channels);
    }
}

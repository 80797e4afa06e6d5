package io.sparkgan.model.layers;

import io.sparkgan.model.Normalisation;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.ParamLayout.Init;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Layer normalisation per image over its channels and positions (Ba, Kiros and Hinton 2016), with a
 * scale and offset per channel, as Gulrajani et al.'s WGAN-GP critic uses it. Each image is normalised
 * on its own, so a per-image gradient penalty can be taken through it; its tangent and that tangent's
 * backward pass are in {@link NormJacobian}.
 */
public final class LayerNorm implements Layer {
    private final String layer;
    private final int channels;

    public LayerNorm(String layer, int channels) {
        this.layer = layer;
        this.channels = channels;
    }

    @Override
    public void declare(ParamLayout.Builder layout) {
        layout.add(Names.gamma(layer), Init.SCALE, channels);
        layout.add(Names.beta(layer), Init.ZERO, channels);
    }

    @Override
    public Node apply(Tape tape, Params p, Node x) {
        NormJacobian norm = new NormJacobian(x.value(), p.get(Names.gamma(layer)), Normalisation.EPSILON,
                NormJacobian.IMAGE);
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
        return BatchNorm.scaleAndShift(sd, BatchNorm.standardise(sd, x, 1, 2, 3), sd.getVariable(Names.gamma(layer)),
                sd.getVariable(Names.beta(layer)), channels);
    }
}

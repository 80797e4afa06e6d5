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
 * Instance normalisation (Ulyanov, Vedaldi and Lempitsky 2016): each image's channels normalised apart,
 * over their positions, with a scale and offset per channel; pix2pix's and CycleGAN's normalisation.
 * Per image, so it carries a tangent (its maths is {@link NormJacobian}'s, over other axes).
 */
public final class InstanceNorm implements Layer {
    private final String layer;
    private final int channels;

    public InstanceNorm(String layer, int channels) {
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
                NormJacobian.PLANE);
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
        return BatchNorm.scaleAndShift(sd, BatchNorm.standardise(sd, x, 2, 3), sd.getVariable(Names.gamma(layer)),
                sd.getVariable(Names.beta(layer)), channels);
    }
}

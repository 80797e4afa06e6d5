package io.sparkgan.model.layers;

import io.sparkgan.model.Kernels;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * max(x, slope·x), ReLU for slope 0. Its derivative is a constant on each side of 0, so its tangent
 * depends on the input only through the side it is on: no second-order term.
 */
public final class LeakyRelu implements Layer {
    public static final LeakyRelu RELU = new LeakyRelu(0.0);
    /** DCGAN's discriminator slope. */
    public static final LeakyRelu DCGAN = new LeakyRelu(0.2);
    private final double slope;

    public LeakyRelu(double slope) {
        this.slope = slope;
    }

    @Override
    public Node apply(Tape tape, Params p, Node x) {
        return tape.record(new Dual(Kernels.leakyRelu(x.value(), slope), slopes(x.value(), x.tangent())), x,
                (gradOut, sink) -> new Dual(slopes(x.value(), gradOut.value()), slopes(x.value(), gradOut.tangent())));
    }

    /** v scaled by the derivative at x (1 or the slope): the Jacobian, which is diagonal. */
    private INDArray slopes(INDArray x, INDArray v) {
        return v == null ? null : Kernels.leakyReluBackward(x, v, slope);
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable x) {
        return slope == 0 ? sd.nn().relu(x, 0.0) : sd.nn().leakyRelu(x, slope);
    }
}

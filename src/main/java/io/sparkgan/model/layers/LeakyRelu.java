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
 * gain·max(x, slope·x), ReLU for slope 0 and gain 1. Its derivative is a constant on each side of 0, so its tangent
 * depends on the input only through the side it is on: no second-order term.
 */
public final class LeakyRelu implements Layer {
    public static final LeakyRelu RELU = new LeakyRelu(0.0);
    /** DCGAN's discriminator slope. */
    public static final LeakyRelu DCGAN = new LeakyRelu(0.2, 1);
    /**
     * StyleGAN's: slope 0.2 and gain √2, which keeps unit-variance inputs at about unit second moment
     * (He et al. 2015's gain, as the equalised learning rate needs).
     */
    public static final LeakyRelu STYLEGAN = new LeakyRelu(0.2, Math.sqrt(2));
    private final double slope;
    private final double gain;

    public LeakyRelu(double slope) {
        this(slope, 1);
    }

    public LeakyRelu(double slope, double gain) {
        this.slope = slope;
        this.gain = gain;
    }

    @Override
    public Node apply(Tape tape, Params p, Node x) {
        return tape.record(new Dual(scaled(Kernels.leakyRelu(x.value(), slope)), slopes(x.value(), x.tangent())), x,
                (gradOut, sink) -> new Dual(slopes(x.value(), gradOut.value()), slopes(x.value(), gradOut.tangent())));
    }

    /** v scaled by the derivative at x (gain, or gain times the slope): the Jacobian, which is diagonal. */
    private INDArray slopes(INDArray x, INDArray v) {
        return v == null ? null : scaled(Kernels.leakyReluBackward(x, v, slope));
    }

    private INDArray scaled(INDArray v) {
        return gain == 1 ? v : v.muli(gain);
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable x) {
        SDVariable y = slope == 0 ? sd.nn().relu(x, 0.0) : sd.nn().leakyRelu(x, slope);
        return gain == 1 ? y : y.mul(gain);
    }
}

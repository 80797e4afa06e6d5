package io.sparkgan.model.layers;

import io.sparkgan.model.Kernels;
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
 * x·W for weights W [in, out], no bias ({@link Bias} adds one); linear, so the tangent takes the same map.
 * With an equalised learning rate W is stored at unit scale and multiplied by c = multiplier/√in as it
 * runs ({@link EqualisedWeights}).
 */
public final class Dense implements Layer {
    private final String weights;
    private final long in;
    private final long out;
    private final EqualisedWeights equalised;

    public Dense(String layer, long in, long out) {
        this(layer, in, out, null);
    }

    private Dense(String layer, long in, long out, EqualisedWeights equalised) {
        this.weights = Names.weights(layer);
        this.in = in;
        this.out = out;
        this.equalised = equalised;
    }

    /** A dense layer with an equalised learning rate and a learning-rate multiplier (StyleGAN's mapping: 0.01). */
    public static Dense equalised(String layer, long in, long out, double multiplier) {
        return new Dense(layer, in, out, new EqualisedWeights(in, multiplier));
    }

    @Override
    public void declare(ParamLayout.Builder layout) {
        if (equalised == null) {
            layout.add(weights, Init.WEIGHT, in, out);
        } else {
            layout.equalised(weights, equalised.spread(), in, out);
        }
    }

    @Override
    public Node apply(Tape tape, Params p, Node x) {
        INDArray w = EqualisedWeights.scaled(equalised, p.get(weights));
        INDArray y = Kernels.matmul(x.value(), w, false, false);
        INDArray yDot = x.tangent() == null ? null : Kernels.matmul(x.tangent(), w, false, false);
        return tape.record(new Dual(y, yDot), x, (gradOut, sink) -> new Dual(
                backward(x.value(), gradOut.value(), w, sink), backward(x.tangent(), gradOut.tangent(), w, sink)));
    }

    /** One stream (values or tangents): adds W's gradient, returns the input's. */
    private INDArray backward(INDArray x, INDArray gradOut, INDArray w, Params sink) {
        if (gradOut == null) {
            return null;
        }
        if (sink != null) {
            sink.get(weights).addi(EqualisedWeights.chained(equalised, Kernels.matmul(x, gradOut, true, false)));
        }
        return Kernels.matmul(gradOut, w, false, true);
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable x) {
        return x.mmul(EqualisedWeights.scaled(equalised, sd.getVariable(weights)));
    }
}

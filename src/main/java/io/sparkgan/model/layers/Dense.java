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

/** x·W for weights W [in, out], no bias ({@link Bias} adds one); linear, so the tangent takes the same map. */
public final class Dense implements Layer {
    private final String weights;
    private final long in;
    private final long out;

    public Dense(String layer, long in, long out) {
        this.weights = Names.weights(layer);
        this.in = in;
        this.out = out;
    }

    @Override
    public void declare(ParamLayout.Builder layout) {
        layout.add(weights, Init.WEIGHT, in, out);
    }

    @Override
    public Node apply(Tape tape, Params p, Node x) {
        INDArray w = p.get(weights);
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
            sink.get(weights).addi(Kernels.matmul(x, gradOut, true, false));
        }
        return Kernels.matmul(gradOut, w, false, true);
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable x) {
        return x.mmul(sd.getVariable(weights));
    }
}

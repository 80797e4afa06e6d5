package io.sparkgan.model.layers;

import io.sparkgan.model.Kernels;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** A generator's output layer, images into [-1, 1]. Carries no tangent (generators' passes carry none). */
public final class Tanh implements Layer {
    public static final Tanh TANH = new Tanh();

    private Tanh() {
    }

    @Override
    public Node apply(Tape tape, Params p, Node x) {
        if (x.tangent() != null) {
            throw new IllegalStateException("tanh carries no tangent");
        }
        return tape.record(Dual.of(Kernels.tanh(x.value())), x,
                (gradOut, sink) -> Dual.of(Kernels.tanhBackward(x.value(), gradOut.value())));
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable x) {
        return sd.math().tanh(x);
    }
}

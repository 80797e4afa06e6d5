package io.sparkgan.model.layers;

import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * h + b with b broadcast over the batch, one value per unit of a dense layer's output (a
 * convolution's per-channel bias is part of {@link Convolution}). A constant for the tangent.
 */
public final class Bias implements Layer {
    private final String name;
    private final long fanIn;
    private final long length;

    /** The bias of layer {@code layer}, started uniform in ±1/√{@code fanIn} (ParamLayout.Init.BIAS). */
    public Bias(String layer, long fanIn, long length) {
        this.name = Names.bias(layer);
        this.fanIn = fanIn;
        this.length = length;
    }

    @Override
    public void declare(ParamLayout.Builder layout) {
        layout.bias(name, fanIn, length);
    }

    @Override
    public Node apply(Tape tape, Params p, Node h) {
        INDArray out = h.value().addRowVector(p.get(name));
        return tape.record(new Dual(out, h.tangent()), h, (gradOut, sink) -> {
            if (gradOut.value() != null && sink != null) {
                sink.get(name).addi(gradOut.value().sum(0));
            }
            return gradOut;
        });
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable h) {
        return h.add(sd.getVariable(name));
    }
}

package io.sparkgan.model.layers;

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
 * h + b with b broadcast over the batch, one value per unit of a dense layer's output (a
 * convolution's per-channel bias is part of {@link Convolution}). A constant for the tangent.
 */
public final class Bias implements Layer {
    private final String name;
    private final long fanIn;
    private final long length;
    /** Where an equalised bias starts (ZERO or ONE), null for PyTorch's uniform start. */
    private final Init start;
    private final double multiplier;

    /** The bias of layer {@code layer}, started uniform in ±1/√{@code fanIn} (ParamLayout.Init.BIAS). */
    public Bias(String layer, long fanIn, long length) {
        this(layer, fanIn, length, null, 1);
    }

    private Bias(String layer, long fanIn, long length, Init start, double multiplier) {
        this.name = Names.bias(layer);
        this.fanIn = fanIn;
        this.length = length;
        this.start = start;
        this.multiplier = multiplier;
    }

    /**
     * StyleGAN's bias: stored at {@code start}/multiplier and used times the learning-rate multiplier,
     * so that it moves as slowly as its layer's equalised weights (the mapping network's 0.01). {@code
     * start} is ZERO, or ONE for a style's bias (StyleGAN2 starts styles at 1); a multiplier other than
     * 1 takes ZERO only, where stored and used values are both 0.
     */
    public static Bias equalised(String layer, long length, Init start, double multiplier) {
        if (start != Init.ZERO && (start != Init.ONE || multiplier != 1)) {
            throw new IllegalArgumentException("an equalised bias starts at 0, or at 1 with multiplier 1");
        }
        return new Bias(layer, 0, length, start, multiplier);
    }

    @Override
    public void declare(ParamLayout.Builder layout) {
        if (start == null) {
            layout.bias(name, fanIn, length);
        } else {
            layout.add(name, start, length);
        }
    }

    @Override
    public Node apply(Tape tape, Params p, Node h) {
        INDArray b = p.get(name);
        INDArray out = h.value().addRowVector(multiplier == 1 ? b : b.mul(multiplier));
        return tape.record(new Dual(out, h.tangent()), h, (gradOut, sink) -> {
            if (gradOut.value() != null && sink != null) {
                INDArray g = gradOut.value().sum(0);
                sink.get(name).addi(multiplier == 1 ? g : g.muli(multiplier));
            }
            return gradOut;
        });
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable h) {
        SDVariable b = sd.getVariable(name);
        return h.add(multiplier == 1 ? b : b.mul(multiplier));
    }
}

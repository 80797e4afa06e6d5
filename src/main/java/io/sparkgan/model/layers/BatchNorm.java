package io.sparkgan.model.layers;

import io.sparkgan.model.Kernels;
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
 * Batch normalisation (Ioffe and Szegedy 2015), always with the statistics of the batch it is given,
 * in training and in sampling alike (as PyTorch's DCGAN example samples): running averages would lag
 * a generator whose weights move every step and would not fit the EMA generator's weights at all.
 * It carries no tangent: each output depends on the whole batch, so a network with it has no
 * per-image input gradient to penalise.
 */
public final class BatchNorm implements Layer {
    private final String layer;
    private final int channels;

    public BatchNorm(String layer, int channels) {
        this.layer = layer;
        this.channels = channels;
    }

    @Override
    public void declare(ParamLayout.Builder layout) {
        declareScaleAndOffset(layout, layer, channels);
    }

    /** A normalisation's γ, started at N(1, 0.02) (DCGAN's), and β, at 0; {@code shape} per channel, or per class and channel. */
    static void declareScaleAndOffset(ParamLayout.Builder layout, String layer, long... shape) {
        layout.add(Names.gamma(layer), Init.SCALE, shape);
        layout.add(Names.beta(layer), Init.ZERO, shape);
    }

    @Override
    public Node apply(Tape tape, Params p, Node x) {
        requireNoTangent(layer, x);
        INDArray gamma = p.get(Names.gamma(layer));
        INDArray beta = p.get(Names.beta(layer));
        INDArray[] moments = Kernels.channelMoments(x.value());
        INDArray mean = moments[0];
        INDArray variance = moments[1];
        INDArray y = Kernels.batchNorm(x.value(), mean, variance, gamma, beta, Normalisation.EPSILON);
        return tape.record(Dual.of(y), x, (gradOut, sink) -> {
            if (gradOut.value() == null) {
                return Dual.ZERO;
            }
            INDArray[] grads = Kernels.batchNormBackward(x.value(), mean, variance, gamma, beta, gradOut.value(),
                    Normalisation.EPSILON);
            if (sink != null) {
                sink.get(Names.gamma(layer)).addi(grads[1]);
                sink.get(Names.beta(layer)).addi(grads[2]);
            }
            return Dual.of(grads[0]);
        });
    }

    static void requireNoTangent(String layer, Node x) {
        if (x.tangent() != null) {
            throw new IllegalStateException(layer + ": batch norm has no per-image input gradient to differentiate");
        }
    }

    /** The graph form, from elementary ops: M2.1's fused batchNorm op cannot be differentiated by SameDiff. */
    @Override
    public SDVariable graph(SameDiff sd, SDVariable x) {
        return scaleAndShift(sd, standardise(sd, x, 0, 2, 3), sd.getVariable(Names.gamma(layer)),
                sd.getVariable(Names.beta(layer)), channels);
    }

    /** (x − mean)/√(variance + ε) over the axes {@code over} (population variance). */
    static SDVariable standardise(SameDiff sd, SDVariable x, int... over) {
        SDVariable mean = sd.mean(x, true, over);
        SDVariable centred = x.sub(mean);
        SDVariable variance = sd.mean(centred.mul(centred), true, over);
        return centred.div(sd.math().sqrt(variance.add(Normalisation.EPSILON)));
    }

    /** γ·x̂ + β with γ and β per channel. */
    static SDVariable scaleAndShift(SameDiff sd, SDVariable normalised, SDVariable gamma, SDVariable beta,
                                    long channels) {
        return normalised.mul(sd.reshape(gamma, 1, channels, 1, 1)).add(sd.reshape(beta, 1, channels, 1, 1));
    }
}

package io.sparkgan.model.layers;

import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Inverted dropout with a mask given by the caller, drawn from (seed, step, round, layer, slot) by
 * {@code Noise.dropout}, never from a thread's generator: the same images get the same masks on any
 * number of workers, in a retried task and on resume. pix2pix's generator uses it as its only noise
 * (Isola et al. 2017, section 3.1). y = x ⊙ mask, linear in x: tangent and adjoint take the same mask.
 */
public final class Dropout {
    public static final Dropout DROPOUT = new Dropout();

    private Dropout() {
    }

    /** {@code mask}: the shape of x, each value 0 or 1/(1 − rate); null for no dropout (the identity). */
    public Node apply(Tape tape, Node x, INDArray mask) {
        if (mask == null) {
            return x;
        }
        return tape.record(new Dual(x.value().mul(mask), times(x.tangent(), mask)), x,
                (gradOut, sink) -> new Dual(times(gradOut.value(), mask), times(gradOut.tangent(), mask)));
    }

    private static INDArray times(INDArray v, INDArray mask) {
        return v == null ? null : v.mul(mask);
    }

    /** The graph form, with the mask as a placeholder or constant of x's shape. */
    public SDVariable graph(SDVariable x, SDVariable mask) {
        return mask == null ? x : x.mul(mask);
    }
}

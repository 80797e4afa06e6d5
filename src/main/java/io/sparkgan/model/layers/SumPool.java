package io.sparkgan.model.layers;

import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Global sum pooling, [n, c, h, w] → [n, c]: SNGAN's residual discriminator before its logit. Linear. */
public final class SumPool implements Layer {
    public static final SumPool SPATIAL = new SumPool();

    private SumPool() {
    }

    @Override
    public Node apply(Tape tape, Params p, Node x) {
        long[] shape = x.value().shape();
        return tape.record(new Dual(sum(x.value()), sum(x.tangent())), x,
                (gradOut, sink) -> new Dual(spread(gradOut.value(), shape), spread(gradOut.tangent(), shape)));
    }

    private static INDArray sum(INDArray x) {
        return x == null ? null : x.sum(2, 3);
    }

    /** Each image's and channel's adjoint over all its positions. */
    private static INDArray spread(INDArray g, long[] shape) {
        return g == null ? null : g.reshape('c', shape[0], shape[1], 1, 1).broadcast(shape).dup('c');
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable x) {
        return sd.sum(x, 2, 3);
    }
}

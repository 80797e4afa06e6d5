package io.sparkgan.model.layers;

import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Two inputs joined along the channel axis (axis 1), [n, a, …] and [n, b, …] → [n, a + b, …]: a U-Net's
 * skip connections. Its adjoint splits the output's back into the two parts; tangents join alike.
 */
public final class Concat {
    public static final Concat CHANNELS = new Concat();

    private Concat() {
    }

    public Node apply(Tape tape, Node a, Node b) {
        long split = a.value().size(1);
        long total = split + b.value().size(1);
        Dual joined = new Dual(join(a.value(), b.value()), a.tangent() == null && b.tangent() == null ? null
                : join(orZero(a.tangent(), a.value()), orZero(b.tangent(), b.value())));
        return tape.record(joined, new Node[] {a, b}, (gradOut, sink) -> new Dual[] {
            new Dual(part(gradOut.value(), 0, split), part(gradOut.tangent(), 0, split)),
            new Dual(part(gradOut.value(), split, total), part(gradOut.tangent(), split, total))});
    }

    private static INDArray join(INDArray a, INDArray b) {
        return Nd4j.concat(1, a, b);
    }

    private static INDArray orZero(INDArray tangent, INDArray like) {
        return tangent != null ? tangent : Nd4j.zerosLike(like);
    }

    /** Channels [from, to) of {@code g}, as an array of its own. */
    private static INDArray part(INDArray g, long from, long to) {
        if (g == null) {
            return null;
        }
        INDArrayIndex[] index = new INDArrayIndex[g.rank()];
        for (int i = 0; i < index.length; i++) {
            index[i] = i == 1 ? NDArrayIndex.interval(from, to) : NDArrayIndex.all();
        }
        return g.get(index).dup('c');
    }

    public SDVariable graph(SameDiff sd, SDVariable a, SDVariable b) {
        return sd.concat(1, a, b);
    }
}

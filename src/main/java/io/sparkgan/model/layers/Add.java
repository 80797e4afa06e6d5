package io.sparkgan.model.layers;

import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * a + b, optionally scaled by 1/√2 so that the sum of two unit-variance branches keeps unit variance
 * (StyleGAN2's residual discriminator, Karras et al. 2020, section 4.1). A residual block's join.
 */
public final class Add {
    public static final Add PLAIN = new Add(1.0);
    public static final Add SCALED = new Add(1 / Math.sqrt(2));
    private final double scale;

    private Add(double scale) {
        this.scale = scale;
    }

    public Node apply(Tape tape, Node a, Node b) {
        Dual sum = new Dual(add(a.value(), b.value()), add(a.tangent(), b.tangent()));
        return tape.record(sum, new Node[] {a, b}, (gradOut, sink) -> {
            Dual g = scale == 1.0 ? gradOut : new Dual(scaled(gradOut.value()), scaled(gradOut.tangent()));
            return new Dual[] {g, g};
        });
    }

    /** Null for a tangent neither branch carries; a branch without one counts as zero. */
    private INDArray add(INDArray a, INDArray b) {
        if (a == null || b == null) {
            INDArray one = a == null ? b : a;
            return one == null || scale == 1.0 ? one : one.mul(scale);
        }
        INDArray sum = a.add(b);
        return scale == 1.0 ? sum : sum.muli(scale);
    }

    private INDArray scaled(INDArray g) {
        return g == null ? null : g.mul(scale);
    }

    public SDVariable graph(SameDiff sd, SDVariable a, SDVariable b) {
        SDVariable sum = a.add(b);
        return scale == 1.0 ? sum : sum.mul(scale);
    }
}

package io.sparkgan.model.layers;

import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * StyleGAN's learned constant input (Karras et al. 2019, section 2): feature maps [channels, side, side]
 * started N(0, 1), the same for every image; the styles, not the input, make images differ. Its gradient
 * is the sum of the batch's.
 */
public final class LearnedConstant {
    private final String name;
    private final int channels;
    private final int side;

    public LearnedConstant(String layer, int channels, int side) {
        this.name = layer + "/const";
        this.channels = channels;
        this.side = side;
    }

    public void declare(ParamLayout.Builder layout) {
        layout.equalised(name, 1, channels, side, side);
    }

    /** The constant for {@code n} images, [n, channels, side, side]. */
    public Node apply(Tape tape, Params p, int n) {
        INDArray c = p.get(name).reshape(1, channels, side, side);
        return tape.record(Dual.of(c.broadcast(n, channels, side, side).dup()), new Node[0], (gradOut, sink) -> {
            if (sink != null) {
                sink.get(name).addi(gradOut.value().sum(0));
            }
            return new Dual[0];
        });
    }

    /** The graph form: the constant repeated for as many images as {@code like} has rows. */
    public SDVariable graph(SameDiff sd, SDVariable like) {
        // ones [n, 1, 1, 1] from the rows of `like` (not onesLike, whose saved graph loads with a warning)
        SDVariable ones = like.get(SDIndex.all(), SDIndex.interval(0, 1)).mul(0.0).add(1.0).reshape(-1, 1, 1, 1);
        return ones.mul(sd.getVariable(name).reshape(1, channels, side, side));
    }
}

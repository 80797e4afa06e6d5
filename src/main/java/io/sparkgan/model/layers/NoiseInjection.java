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
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * StyleGAN's noise input (Karras et al. 2019, section 3.2): one noise image per image, shared by the
 * channels and scaled by a learned strength (started at 0), added to the feature maps, y = x + α·noise.
 * The layer also keeps the constant noise image of "const" mode, a buffer drawn once (ParamLayout's
 * NOISE kind). Linear in x: tangents pass through unchanged.
 */
public final class NoiseInjection {
    private final String strength;
    private final String constant;
    private final int side;

    public NoiseInjection(String layer, int side) {
        this.strength = layer + "/noise_strength";
        this.constant = layer + "/noise_const";
        this.side = side;
    }

    public void declare(ParamLayout.Builder layout) {
        layout.add(strength, Init.ZERO, 1);
        layout.add(constant, Init.NOISE, side, side);
    }

    public int side() {
        return side;
    }

    /** The constant noise image, [1, 1, side, side]. */
    public INDArray constant(Params p) {
        return p.get(constant).reshape(1, 1, side, side);
    }

    /** x + α·noise, {@code noise} [n or 1, 1, side, side]; null adds nothing ("none" mode). */
    public Node apply(Tape tape, Params p, Node x, INDArray noise) {
        if (noise == null) {
            return x;
        }
        double alpha = p.get(strength).getDouble(0);
        long[] s = x.value().shape();
        INDArray scaled = noise.mul(alpha).reshape(noise.size(0), s[2], s[3]);
        INDArray y = Nd4j.createUninitialized(x.value().dataType(), s);
        if (scaled.size(0) == 1) {
            Nd4j.exec(new BroadcastAddOp(x.value(), scaled.reshape(s[2], s[3]), y, 2, 3));
        } else {
            Nd4j.exec(new BroadcastAddOp(x.value(), scaled, y, 0, 2, 3));
        }
        return tape.record(new Dual(y, x.tangent()), x, (gradOut, sink) -> {
            if (sink != null && gradOut.value() != null) {
                INDArray perImage = gradOut.value().sum(1); // [n, side, side]: the noise is shared by the channels
                INDArray n = noise.reshape(noise.size(0), side, side);
                double g = n.size(0) == 1 ? perImage.sum(0).mul(n.reshape(side, side)).sumNumber().doubleValue()
                        : perImage.mul(n).sumNumber().doubleValue();
                sink.get(strength).addi(g);
            }
            return gradOut;
        });
    }

    /** The graph form of "const" mode: the constant noise image, a variable of the graph. */
    public SDVariable graphConstant(SameDiff sd, SDVariable x) {
        return graph(sd, x, sd.getVariable(constant).reshape(1, 1, side, side));
    }

    /** The graph form with {@code noise} a constant or placeholder of [n or 1, 1, side, side]. */
    public SDVariable graph(SameDiff sd, SDVariable x, SDVariable noise) {
        return noise == null ? x : x.add(noise.mul(sd.getVariable(strength)));
    }
}

package io.sparkgan.model.layers;

import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Pixel norm (Karras et al. 2018, section 4.2; StyleGAN's normalisation of z): each position's vector of
 * channels divided by its root mean square, y = x / √(mean(x²) + ε) over axis 1, for [n, c] and
 * [n, c, h, w] alike. No parameters. It carries no tangent: the networks that use it are generators.
 */
public final class PixelNorm implements Layer {
    /** StyleGAN's ε. */
    private static final double EPSILON = 1e-8;
    public static final PixelNorm CHANNELS = new PixelNorm();

    private PixelNorm() {
    }

    @Override
    public Node apply(Tape tape, Params p, Node x) {
        if (x.tangent() != null) {
            throw new IllegalStateException("pixel norm carries no tangent (its second-order term is not written;"
                    + " generators need none)");
        }
        INDArray v = x.value();
        INDArray rms = Transforms.sqrt(v.mul(v).mean(true, 1).addi(EPSILON), false); // r, one per position
        INDArray y = v.div(rms);
        long channels = v.size(1);
        return tape.record(Dual.of(y), x, (gradOut, sink) -> {
            // dy/dx = (I − y yᵀ/C)/r per position
            INDArray g = gradOut.value();
            INDArray along = g.mul(y).sum(true, 1).divi(channels);
            return Dual.of(g.sub(y.mul(along)).divi(rms));
        });
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable x) {
        return x.div(sd.math().sqrt(sd.mean(x.mul(x), true, 1).add(EPSILON)));
    }
}

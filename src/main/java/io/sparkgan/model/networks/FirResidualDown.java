package io.sparkgan.model.networks;

import io.sparkgan.model.Kernels.Window;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.layers.Add;
import io.sparkgan.model.layers.Convolution;
import io.sparkgan.model.layers.FirResample;
import io.sparkgan.model.layers.LeakyRelu;
import io.sparkgan.model.layers.Sequential;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * StyleGAN2's residual discriminator block (Karras et al. 2020, figure 7c):
 *
 * <pre>
 *   x → conv 3×3 → lrelu → FIR blur → conv 3×3 stride 2 → lrelu ─┐
 *   x → FIR ↓2 → conv 1×1 (no bias) ─────────────────────────────┴→ (sum)/√2
 * </pre>
 *
 * The blur then the stride-2 convolution is StyleGAN2's down-sampling convolution, at the cost of a
 * plain one at the output's side. Every convolution has an equalised learning rate.
 */
final class FirResidualDown {
    /** The stride-2 3×3 convolution after a blur padded by 2: side h → h/2. */
    private static final Window DOWN = new Window(3, 2, 0);
    private final Sequential main;
    private final Sequential skip;

    FirResidualDown(String name, int in, int out) {
        this.main = Sequential.builder()
                .add(Convolution.equalised(name + "/conv0", in, in, Window.SAME_3X3, true, 1))
                .add(LeakyRelu.STYLEGAN)
                .add(FirResample.blur(in, 2, 1))
                .add(Convolution.equalised(name + "/conv1", in, out, DOWN, true, 1))
                .add(LeakyRelu.STYLEGAN)
                .build();
        this.skip = Sequential.builder()
                .add(FirResample.down(in))
                .add(Convolution.equalised(name + "/skip", in, out, Window.POINTWISE, false, 1))
                .build();
    }

    void declare(ParamLayout.Builder layout) {
        main.declare(layout);
        skip.declare(layout);
    }

    Node apply(Tape t, Params p, Node x) {
        return Add.SCALED.apply(t, main.apply(t, p, x), skip.apply(t, p, x));
    }

    SDVariable graph(SameDiff sd, SDVariable x) {
        return Add.SCALED.graph(sd, main.graph(sd, x), skip.graph(sd, x));
    }
}

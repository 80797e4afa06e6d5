package io.sparkgan.model.networks;

import io.sparkgan.model.Kernels.Window;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.layers.Add;
import io.sparkgan.model.layers.Convolution;
import io.sparkgan.model.layers.LeakyRelu;
import io.sparkgan.model.layers.Resample;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * SNGAN's discriminator block (Miyato et al. 2018, appendix B): ReLU, 3×3 convolution, ReLU, 3×3
 * convolution, 2×2 average pooling, plus a shortcut (a 1×1 convolution then the pooling; the identity
 * when neither the channels nor the side change). The first block reads the image itself: no ReLU in
 * front, and its shortcut pools before the 1×1 convolution (SNGAN's "optimised" block). No
 * normalisation, so D judges each image on its own and penalties can be taken through it.
 */
final class ResidualDown {
    private final boolean first;
    private final boolean down;
    private final Convolution conv1;
    private final Convolution conv2;
    private final Convolution shortcut;

    ResidualDown(String name, int in, int out, boolean first, boolean down) {
        this.first = first;
        this.down = down;
        this.conv1 = Convolution.of(name + "/conv1", in, out, Window.SAME_3X3, true);
        this.conv2 = Convolution.of(name + "/conv2", out, out, Window.SAME_3X3, true);
        this.shortcut = first || down || in != out
                ? Convolution.of(name + "/shortcut", in, out, Window.POINTWISE, true) : null;
    }

    void declare(ParamLayout.Builder layout) {
        conv1.declare(layout);
        conv2.declare(layout);
        if (shortcut != null) {
            shortcut.declare(layout);
        }
    }

    Node apply(Tape t, Params p, Node x) {
        Node h = first ? x : LeakyRelu.RELU.apply(t, p, x);
        h = conv2.apply(t, p, LeakyRelu.RELU.apply(t, p, conv1.apply(t, p, h)));
        if (down) {
            h = Resample.AVERAGE_DOWN.apply(t, p, h);
        }
        Node skip = x;
        if (first) {
            skip = shortcut.apply(t, p, Resample.AVERAGE_DOWN.apply(t, p, x));
        } else if (shortcut != null) {
            skip = shortcut.apply(t, p, x);
            skip = down ? Resample.AVERAGE_DOWN.apply(t, p, skip) : skip;
        }
        return Add.PLAIN.apply(t, h, skip);
    }

    SDVariable graph(SameDiff sd, SDVariable x) {
        SDVariable h = first ? x : LeakyRelu.RELU.graph(sd, x);
        h = conv2.graph(sd, LeakyRelu.RELU.graph(sd, conv1.graph(sd, h)));
        if (down) {
            h = Resample.AVERAGE_DOWN.graph(sd, h);
        }
        SDVariable skip = x;
        if (first) {
            skip = shortcut.graph(sd, Resample.AVERAGE_DOWN.graph(sd, x));
        } else if (shortcut != null) {
            skip = shortcut.graph(sd, x);
            skip = down ? Resample.AVERAGE_DOWN.graph(sd, skip) : skip;
        }
        return Add.PLAIN.graph(sd, h, skip);
    }
}

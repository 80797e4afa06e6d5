package io.sparkgan.model.networks;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.Kernels.Window;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.layers.Concat;
import io.sparkgan.model.layers.Convolution;
import io.sparkgan.model.layers.Dropout;
import io.sparkgan.model.layers.LeakyRelu;
import io.sparkgan.model.layers.PerImageNorm;
import io.sparkgan.model.layers.Sequential;
import io.sparkgan.model.layers.Tanh;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One level of pix2pix's U-Net generator (Isola et al. 2017, section 3.2.1 and appendix 6.1.1, after
 * Ronneberger, Fischer and Brox 2015): down (leaky ReLU, a 4×4 stride-2 convolution, instance norm),
 * the levels inside it, up (ReLU, a 4×4 stride-2 transposed convolution, instance norm, and dropout
 * on the levels next to the innermost), then the skip: the level's input joined to what came up,
 * channel-wise. The outermost level takes the image with a bare convolution and ends in tanh with no
 * skip; the innermost has nothing inside and leaves its 1×1 code unnormalised. A convolution followed
 * by instance norm has no bias (the norm's offset subsumes it).
 *
 * <p>Level i of L = log₂(side) (1 outermost) works at side/2^(i−1) and codes into ngf·min(2^(i−1), 8)
 * channels, as the paper's 256×256 generator (C64-C128-C256-C512-C512-C512-C512-C512) does.
 */
final class UNetLevel {
    /** The outermost level's down convolution, which takes the image. */
    static final String DOWN_1 = "g/down1";
    /** pix2pix's dropout rate, on the inner levels' up-sampled features. */
    static final double DROPOUT_RATE = 0.5;
    /** Levels that drop out: the (up to) three next to the innermost, as in the paper's 256×256 U-Net. */
    private static final int DROPOUT_LEVELS = 3;

    private final int level;
    private final Sequential down;
    private final UNetLevel inside;
    private final Sequential up;
    private final boolean dropout;
    private final int upChannels;
    private final int upSide;

    private UNetLevel(int level, Sequential down, UNetLevel inside, Sequential up, boolean dropout, int upChannels,
                      int upSide) {
        this.level = level;
        this.down = down;
        this.inside = inside;
        this.up = up;
        this.dropout = dropout;
        this.upChannels = upChannels;
        this.upSide = upSide;
    }

    /** The whole U-Net: level 1, holding the others. */
    static UNetLevel generator(GanArchitecture a) {
        return of(a, 1, levels(a.imageSize()));
    }

    static int levels(int imageSize) {
        return Integer.numberOfTrailingZeros(imageSize);
    }

    /** Channels of level {@code i}'s code (its down convolution's output). */
    static int codeChannels(GanArchitecture a, int i) {
        return a.gFeatures() * Math.min(1 << (i - 1), 8);
    }

    private static UNetLevel of(GanArchitecture a, int i, int levels) {
        boolean outermost = i == 1;
        boolean innermost = i == levels;
        int outer = outermost ? a.channels() : codeChannels(a, i - 1); // what comes in, and goes up out
        int code = codeChannels(a, i);
        Window window = Window.DCGAN;
        Sequential down = Sequential.builder()
                .addIf(!outermost, LeakyRelu.DCGAN)
                .add(Convolution.of("g/down" + i, outer, code, window, outermost || innermost))
                .addIf(!outermost && !innermost, PerImageNorm.instance("g/down" + i, code))
                .build();
        UNetLevel inside = innermost ? null : of(a, i + 1, levels);
        int upIn = innermost ? code : 2 * code; // a level inside hands up its input joined to its output
        Sequential up = Sequential.builder()
                .add(LeakyRelu.RELU)
                .add(Convolution.transposed("g/up" + i, upIn, outer, window, outermost))
                .add(outermost ? Tanh.TANH : PerImageNorm.instance("g/up" + i, outer))
                .build();
        boolean dropout = !outermost && !innermost && i >= levels - DROPOUT_LEVELS;
        return new UNetLevel(i, down, inside, up, dropout, outer, a.imageSize() >> (i - 1));
    }

    void declare(ParamLayout.Builder layout) {
        down.declare(layout);
        if (inside != null) {
            inside.declare(layout);
        }
        up.declare(layout);
    }

    /** Shapes of the dropout masks, outermost first: [channels, side, side] per dropping level. */
    void maskShapes(List<int[]> shapes) {
        if (dropout) {
            shapes.add(new int[] {upChannels, upSide, upSide});
        }
        if (inside != null) {
            inside.maskShapes(shapes);
        }
    }

    /**
     * The level on {@code x}; {@code masks} holds a mask per dropping level in {@link #maskShapes} order
     * (null for no dropout), from {@code next} on.
     */
    Node apply(Tape tape, Params p, Node x, List<INDArray> masks, int next) {
        Node code = down.apply(tape, p, x);
        Node below = inside == null ? code : inside.apply(tape, p, code, masks, next + (dropout ? 1 : 0));
        Node y = up.apply(tape, p, below);
        if (dropout && masks != null) {
            y = Dropout.DROPOUT.apply(tape, y, masks.get(next));
        }
        return level == 1 ? y : Concat.CHANNELS.apply(tape, x, y);
    }

    /** The graph form, without dropout: the generator an export holds. */
    SDVariable graph(SameDiff sd, SDVariable x) {
        SDVariable code = down.graph(sd, x);
        SDVariable below = inside == null ? code : inside.graph(sd, code);
        SDVariable y = up.graph(sd, below);
        return level == 1 ? y : Concat.CHANNELS.graph(sd, x, y);
    }
}

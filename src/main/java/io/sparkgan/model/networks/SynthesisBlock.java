package io.sparkgan.model.networks;

import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.ParamLayout.Init;
import io.sparkgan.model.layers.Add;
import io.sparkgan.model.layers.Bias;
import io.sparkgan.model.layers.Dense;
import io.sparkgan.model.layers.FirResample;
import io.sparkgan.model.layers.LeakyRelu;
import io.sparkgan.model.layers.LearnedConstant;
import io.sparkgan.model.layers.ModulatedConvolution;
import io.sparkgan.model.layers.NoiseInjection;
import io.sparkgan.model.layers.Sequential;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import java.util.function.BiFunction;
import java.util.function.IntFunction;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One resolution of StyleGAN2's synthesis network with skip outputs (Karras et al. 2020, figures 2 and 7):
 *
 * <pre>
 *   first (4×4):  const → conv 3×3 → noise → lrelu                         → toRGB → image
 *   the others:   x → conv 3×3 ↑2 → noise → lrelu → conv 3×3 → noise → lrelu → toRGB → + FIR↑2(image)
 * </pre>
 *
 * Every convolution is modulated by its own affine map of its style input w (started so that styles are
 * about 1). The first block reads style inputs 0 and 1; block b after it reads 2b − 1, 2b, 2b + 1, its
 * toRGB sharing its w with the next block's first convolution, so there are 2 per resolution.
 */
final class SynthesisBlock {
    private final boolean first;
    private final int side;
    private final int firstStyle;
    private final LearnedConstant constant;
    private final Layer conv0;
    private final Layer conv1;
    private final Layer toImage;
    private final FirResample upImage;

    /** A modulated convolution with its affine map from w, and the noise input after it (none for toRGB). */
    private record Layer(Sequential affine, ModulatedConvolution conv, NoiseInjection noise) {
        static Layer of(String name, int wDim, ModulatedConvolution conv, int noiseSide) {
            Sequential affine = Sequential.builder()
                    .add(Dense.equalised(name + "/affine", wDim, conv.styles(), 1))
                    .add(Bias.equalised(name + "/affine", conv.styles(), Init.ONE, 1))
                    .build();
            return new Layer(affine, conv, noiseSide == 0 ? null : new NoiseInjection(name, noiseSide));
        }

        void declare(ParamLayout.Builder layout) {
            affine.declare(layout);
            conv.declare(layout);
            if (noise != null) {
                noise.declare(layout);
            }
        }
    }

    /**
     * Block {@code index} (0: the 4×4 one), from {@code in} channels (unused by the first) to {@code out},
     * at side {@code side}, with images of {@code channels} channels.
     */
    SynthesisBlock(int index, int wDim, int in, int out, int side, int channels) {
        String name = name(side);
        this.first = index == 0;
        this.side = side;
        this.firstStyle = first ? 0 : 2 * index - 1;
        this.constant = first ? new LearnedConstant(name, out, side) : null;
        this.conv0 = first ? null : Layer.of(name + "/conv0", wDim, ModulatedConvolution.conv3x3(name + "/conv0", in, out, true), side);
        this.conv1 = Layer.of(name + "/conv1", wDim, ModulatedConvolution.conv3x3(name + "/conv1", out, out, false), side);
        this.toImage = Layer.of(name + "/torgb", wDim, ModulatedConvolution.toImage(name + "/torgb", out, channels), 0);
        this.upImage = first ? null : FirResample.up(channels);
    }

    /** The block of side {@code side}'s name. */
    static String name(int side) {
        return "g/synthesis/b" + side;
    }

    void declare(ParamLayout.Builder layout) {
        if (constant != null) {
            constant.declare(layout);
        }
        if (conv0 != null) {
            conv0.declare(layout);
        }
        conv1.declare(layout);
        toImage.declare(layout);
    }

    /** The noise inputs this block has, in order (their index picks their random draws). */
    int noiseInputs() {
        return first ? 1 : 2;
    }

    NoiseInjection noise(int i) {
        return first || i == 1 ? conv1.noise() : conv0.noise();
    }

    /** The block's output: feature maps and the image so far. */
    record Output(Node features, Node image) {}

    /**
     * Runs the block on the previous block's output ({@code previous}, null for the first) with style inputs
     * {@code ws} (all of them) and {@code noise}: the noise image for (this block's noise input i, the
     * layer), null for none.
     */
    Output apply(Tape t, Params p, Output previous, Node[] ws, BiFunction<Integer, NoiseInjection, INDArray> noise,
                 int batch) {
        Node x;
        int style = firstStyle;
        if (first) {
            x = constant.apply(t, p, batch);
        } else {
            x = synthesise(t, p, conv0, previous.features(), ws[style++], noise.apply(0, conv0.noise()));
        }
        x = synthesise(t, p, conv1, x, ws[style++], noise.apply(first ? 0 : 1, conv1.noise()));
        Node rgb = toImage.conv().apply(t, p, x, toImage.affine().apply(t, p, ws[style]));
        Node image = first ? rgb : Add.PLAIN.apply(t, upImage.apply(t, p, previous.image()), rgb);
        return new Output(x, image);
    }

    private static Node synthesise(Tape t, Params p, Layer layer, Node x, Node w, INDArray noise) {
        Node y = layer.conv().apply(t, p, x, layer.affine().apply(t, p, w));
        return LeakyRelu.STYLEGAN.apply(t, p, layer.noise().apply(t, p, y, noise));
    }

    /** The graph form with constant noise; {@code ws} gives style input i's w. */
    SDVariable[] graph(SameDiff sd, SDVariable[] previous, IntFunction<SDVariable> ws, SDVariable like) {
        int style = firstStyle;
        SDVariable x = first ? constant.graph(sd, like) : graphLayer(sd, conv0, previous[0], ws.apply(style++));
        x = graphLayer(sd, conv1, x, ws.apply(style++));
        SDVariable rgb = toImage.conv().graph(sd, x, toImage.affine().graph(sd, ws.apply(style)));
        return new SDVariable[] {x, first ? rgb : upImage.graph(sd, previous[1]).add(rgb)};
    }

    private static SDVariable graphLayer(SameDiff sd, Layer layer, SDVariable x, SDVariable w) {
        SDVariable y = layer.conv().graph(sd, x, layer.affine().graph(sd, w));
        return LeakyRelu.STYLEGAN.graph(sd, layer.noise().graphConstant(sd, y));
    }
}

package io.sparkgan.model.networks;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.Kernels.Window;
import io.sparkgan.model.Noise;
import io.sparkgan.model.NoiseMode;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.ParamLayout.Init;
import io.sparkgan.model.layers.Bias;
import io.sparkgan.model.layers.Convolution;
import io.sparkgan.model.layers.Dense;
import io.sparkgan.model.layers.LeakyRelu;
import io.sparkgan.model.layers.MinibatchStd;
import io.sparkgan.model.layers.NoiseInjection;
import io.sparkgan.model.layers.Reshape;
import io.sparkgan.model.layers.Sequential;
import io.sparkgan.model.layers.StyleMix;
import io.sparkgan.model.layers.Truncation;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Pass;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * StyleGAN2 (Karras et al., "Analyzing and Improving the Image Quality of StyleGAN", 2020) with skip
 * generator and residual discriminator, configuration E/F of its table 1, in StyleGAN2-ADA's form:
 *
 * <pre>
 *   G: z (, class) → mapping → w → [truncation, style mixing] → w₀ … w_{num_ws−1}
 *      4×4 const → SynthesisBlock(4) → SynthesisBlock(8) → … → SynthesisBlock(size): images, summed skips
 *   D: x → conv 1×1 (fromRGB) → lrelu → FirResidualDown × log₂(size/4)
 *        → minibatch std → conv 3×3 → lrelu → dense → lrelu → logit (+ projection)
 * </pre>
 *
 * Widths: a resolution r of an image side R has min(F·R/r, 8F) feature maps, F = model.g-features in G
 * and model.d-features in D (StyleGAN2's channel base F·R and maximum 8F). w is as long as z.
 */
public final class StyleGan2 implements GanNetwork {
    /** Widths stop doubling at this multiple of the features at the image side. */
    private static final int MAX_WIDTH_FACTOR = 8;
    private final GanArchitecture a;
    private final MappingNetwork mapping;
    private final List<SynthesisBlock> blocks = new ArrayList<>();
    private final int[] firstNoise;
    private final Sequential fromImage;
    private final List<FirResidualDown> downBlocks = new ArrayList<>();
    private final Sequential epilogue;
    private final LogitHead head;
    private final ParamLayout generatorLayout;
    private final ParamLayout discriminatorLayout;

    StyleGan2(GanArchitecture a) {
        this.a = a;
        int wDim = a.latentDim();
        this.mapping = new MappingNetwork(a.latentDim(), wDim, a.classes(), a.style().mappingLayers());
        int resolutions = a.stages() + 1;
        this.firstNoise = new int[resolutions];
        int noiseInputs = 0;
        for (int b = 0; b < resolutions; b++) {
            int side = 4 << b;
            SynthesisBlock block = new SynthesisBlock(b, wDim, b == 0 ? 0 : width(a.gFeatures(), side / 2),
                    width(a.gFeatures(), side), side, a.channels());
            firstNoise[b] = noiseInputs;
            noiseInputs += block.noiseInputs();
            blocks.add(block);
        }
        int top = width(a.dFeatures(), a.imageSize());
        this.fromImage = Sequential.builder()
                .add(Convolution.equalised("d/fromrgb", a.channels(), top, Window.POINTWISE, true, 1))
                .add(LeakyRelu.STYLEGAN)
                .build();
        for (int side = a.imageSize(); side > 4; side /= 2) {
            downBlocks.add(new FirResidualDown("d/b" + side, width(a.dFeatures(), side), width(a.dFeatures(), side / 2)));
        }
        int last = width(a.dFeatures(), 4);
        this.epilogue = Sequential.builder()
                .add(new MinibatchStd(a.style().groupSize(), last, 4))
                .add(Convolution.equalised("d/b4/conv", last + 1, last, Window.SAME_3X3, true, 1))
                .add(LeakyRelu.STYLEGAN)
                .add(new Reshape(last * 16))
                .add(Dense.equalised("d/b4/fc", last * 16, last, 1))
                .add(Bias.equalised("d/b4/fc", last, Init.ZERO, 1))
                .add(LeakyRelu.STYLEGAN)
                .build();
        this.head = LogitHead.equalised(last, a.classes());

        ParamLayout.Builder g = ParamLayout.builder();
        mapping.declare(g, wDim);
        blocks.forEach(b -> b.declare(g));
        this.generatorLayout = g.build();
        ParamLayout.Builder d = ParamLayout.builder();
        fromImage.declare(d);
        downBlocks.forEach(b -> b.declare(d));
        epilogue.declare(d);
        head.declare(d);
        this.discriminatorLayout = d.build();
    }

    /** Feature maps at side {@code side}: min(F·R/side, 8F). */
    private int width(int features, int side) {
        return features * Math.min(a.imageSize() / side, MAX_WIDTH_FACTOR);
    }

    /** The generator's style inputs: two per resolution (8 at 32×32). */
    public static int styleInputs(GanArchitecture a) {
        return 2 * (a.stages() + 1);
    }

    @Override
    public ParamLayout generatorLayout() {
        return generatorLayout;
    }

    @Override
    public ParamLayout discriminatorLayout() {
        return discriminatorLayout;
    }

    @Override
    public Pass generator(Params g, INDArray z, INDArray oneHot) {
        return generator(g, z, oneHot, Styling.PLAIN);
    }

    @Override
    public Pass generator(Params g, INDArray z, INDArray oneHot, Styling styling) {
        Tape tape = new Tape();
        int n = (int) z.size(0);
        Node[] ws = styles(tape, g, tape.input(z), oneHot, styling, n);
        SynthesisBlock.Output out = null;
        for (int b = 0; b < blocks.size(); b++) {
            int first = firstNoise[b];
            out = blocks.get(b).apply(tape, g, out, ws, (i, layer) -> noise(g, layer, first + i, styling, n, z), n);
        }
        return tape.pass(out.image(), generatorLayout);
    }

    /** w for every style input: truncated, and mixed where the styling asks for a second w. */
    private Node[] styles(Tape tape, Params g, Node z, INDArray oneHot, Styling styling, int n) {
        Truncation truncation = new Truncation(MappingNetwork.W_AVERAGE, styling.truncation());
        Node w = truncation.apply(tape, g, mapping.apply(tape, g, z, oneHot));
        int count = styleInputs(a);
        int[] crossovers = new int[n];
        INDArray second = styling.mixLatents();
        if (second != null) {
            Arrays.fill(crossovers, styling.crossover());
        } else if (styling.mixingProbability() > 0) {
            Styling.Draws d = styling.draws();
            crossovers = Noise.crossovers(d.seed(), d.step(), d.round(), d.firstSlot(), n, count,
                    styling.mixingProbability());
            second = Nd4j.create(Noise.mixingLatents(d.seed(), d.step(), d.round(), d.firstSlot(), n, a.latentDim()),
                    new long[] {n, a.latentDim()}, 'c').castTo(z.value().dataType());
        } else {
            Arrays.fill(crossovers, count);
        }
        Node w2 = null;
        Node[] ws = new Node[count];
        for (int i = 0; i < count; i++) {
            boolean[] fromFirst = new boolean[n];
            boolean all = true;
            boolean none = true;
            for (int k = 0; k < n; k++) {
                fromFirst[k] = i < crossovers[k];
                all &= fromFirst[k];
                none &= !fromFirst[k];
            }
            if (!all && w2 == null) {
                w2 = truncation.apply(tape, g, mapping.apply(tape, g, tape.input(second), oneHot));
            }
            ws[i] = all ? w : none ? w2 : StyleMix.ROWS.apply(tape, w, w2, fromFirst);
        }
        return ws;
    }

    /** The noise image of noise input {@code index} ({@code layer}) for this batch, null for none. */
    private static INDArray noise(Params g, NoiseInjection layer, int index, Styling styling, int n, INDArray like) {
        if (styling.noise() == NoiseMode.NONE) {
            return null;
        }
        if (styling.noise() == NoiseMode.CONST) {
            return layer.constant(g);
        }
        Styling.Draws d = styling.draws();
        int side = layer.side();
        float[] values = Noise.pixels(d.seed(), d.step(), d.round(), index, d.firstSlot(), n, side * side);
        return Nd4j.create(values, new long[] {n, 1, side, side}, 'c').castTo(like.dataType());
    }

    @Override
    public void addTrackedSums(Params g, INDArray z, INDArray oneHot, INDArray gradient) {
        Tape tape = new Tape();
        INDArray w = mapping.apply(tape, g, tape.input(z), oneHot).value();
        ParamLayout.Param average = generatorLayout.get(MappingNetwork.W_AVERAGE);
        gradient.get(NDArrayIndex.interval(average.offset(), average.offset() + average.length())).addi(w.sum(0));
    }

    @Override
    public Pass discriminator(Params d, Dual x, INDArray oneHot) {
        Tape tape = new Tape();
        Node h = fromImage.apply(tape, d, tape.input(x));
        for (FirResidualDown block : downBlocks) {
            h = block.apply(tape, d, h);
        }
        return tape.pass(head.apply(tape, d, epilogue.apply(tape, d, h), oneHot), discriminatorLayout);
    }

    /**
     * G as a graph with constant noise: z (and the class) → mapping → {@code w} → synthesis. The graph also
     * holds the synthesis network on its own ({@link #SYNTHESIS_INPUT}, one w per style input) and w̄
     * ({@code g/mapping/w_avg}), so that truncation and style mixing can be done with the graph alone.
     */
    @Override
    public SDVariable generatorGraph(SameDiff sd, SDVariable z, SDVariable oneHot) {
        SDVariable w = mapping.graph(sd, z, oneHot).rename(MAPPING_OUTPUT);
        SDVariable ws = sd.placeHolder(SYNTHESIS_INPUT, w.dataType(), -1, styleInputs(a), a.latentDim());
        IntFunction<SDVariable> each = i -> ws.get(SDIndex.all(), SDIndex.point(i), SDIndex.all());
        synthesisGraph(sd, each, each.apply(0)).rename(SYNTHESIS_OUTPUT);
        return synthesisGraph(sd, i -> w, w);
    }

    /** The exported graph's mapping output, w [n, w]. */
    public static final String MAPPING_OUTPUT = "w";
    /** The exported graph's synthesis input: one w per style input, [n, num_ws, w]. */
    public static final String SYNTHESIS_INPUT = "ws";
    /** The synthesis network's images from {@link #SYNTHESIS_INPUT}. */
    public static final String SYNTHESIS_OUTPUT = "images_from_ws";

    private SDVariable synthesisGraph(SameDiff sd, IntFunction<SDVariable> ws, SDVariable like) {
        SDVariable[] out = null;
        for (SynthesisBlock block : blocks) {
            out = block.graph(sd, out, ws, like);
        }
        return out[1];
    }

    @Override
    public SDVariable discriminatorGraph(SameDiff sd, SDVariable x, SDVariable oneHot) {
        SDVariable h = fromImage.graph(sd, x);
        for (FirResidualDown block : downBlocks) {
            h = block.graph(sd, h);
        }
        return head.graph(sd, epilogue.graph(sd, h), oneHot);
    }
}

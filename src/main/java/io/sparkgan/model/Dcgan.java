package io.sparkgan.model;

import io.sparkgan.model.ParamLayout.Init;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.DeConv2DConfig;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DCGAN generator and discriminator: the parameter layouts, and the networks as SameDiff graphs, the
 * form checkpoints export ({@code generator.sdz}, {@code discriminator.sdz}) so that a model loads
 * with nothing but ND4J. Training runs the same networks as native kernels ({@link DcganPasses});
 * {@code DcganPassesTest} holds the two to the same outputs and gradients. Parameter names and
 * shapes are fixed by {@link #generatorLayout} and {@link #discriminatorLayout}; the graph code
 * below only refers to them by name.
 *
 * <p>Batch normalisation always normalises with the statistics of the batch it is given, in training
 * and in sampling alike (as pytorch's DCGAN example samples). Running averages would lag a generator
 * whose weights move every step and would not fit the EMA generator's weights at all; generate in
 * batches of a few dozen. In the graphs it is built from elementary ops: a graph with M2.1's fused
 * batchNorm op could not be differentiated, and these graphs keep the reference test independent of
 * the kernels the training path calls.
 */
public final class Dcgan {
    /** D's leaky ReLU slope (DCGAN's 0.2). */
    static final double LEAKY_SLOPE = 0.2;
    /** Added to the batch or layer variance before its square root (PyTorch's default). */
    static final double BN_EPSILON = 1e-5;
    /** Layer names. A parameter is named {@code <layer>/<W|b|gamma|beta>}, in layouts, graphs and kernels alike. */
    static final String G_PROJECT = "g/project";
    static final String D_LOGIT = "d/logit";
    /** A conditional D's class embedding, [classes, features]: the projection term's (its "/W" gets spectral norm). */
    static final String D_EMBED = "d/embed";

    private Dcgan() {
    }

    /** G's s-th upsampling stage (1-based; the last one outputs the image). */
    static String generatorStage(int s) {
        return "g/up" + s;
    }

    /** D's s-th stride-2 stage (0-based). */
    static String discriminatorStage(int s) {
        return "d/down" + s;
    }

    static String weights(String layer) {
        return layer + "/W";
    }

    static String bias(String layer) {
        return layer + "/b";
    }

    static String gamma(String layer) {
        return layer + "/gamma";
    }

    static String beta(String layer) {
        return layer + "/beta";
    }

    public static ParamLayout generatorLayout(GanArchitecture a) {
        ParamLayout.Builder b = ParamLayout.builder();
        int base = a.baseSize();
        int c0 = a.generatorChannels(0);
        long projected = (long) c0 * base * base;
        b.add(weights(G_PROJECT), Init.WEIGHT, a.generatorInputs(), projected); // z, then the class one-hot
        // a dense bias is per unit, not per channel
        addNormOrBias(b, G_PROJECT, c0, a.generatorBatchNorm(), a.generatorInputs(), projected);
        for (int s = 1; s < a.stages(); s++) {
            int in = a.generatorChannels(s - 1);
            int out = a.generatorChannels(s);
            b.add(weights(generatorStage(s)), Init.WEIGHT, 4, 4, out, in); // deconv2d weights: [kH, kW, out, in]
            addNormOrBias(b, generatorStage(s), out, a.generatorBatchNorm(), transposedFanIn(out), out);
        }
        int last = a.stages();
        b.add(weights(generatorStage(last)), Init.WEIGHT, 4, 4, a.channels(), a.generatorChannels(last - 1));
        b.bias(bias(generatorStage(last)), transposedFanIn(a.channels()), a.channels());
        return b.build();
    }

    public static ParamLayout discriminatorLayout(GanArchitecture a) {
        ParamLayout.Builder b = ParamLayout.builder();
        int in = a.channels();
        for (int s = 0; s < a.stages(); s++) {
            int out = a.discriminatorChannels(s);
            b.add(weights(discriminatorStage(s)), Init.WEIGHT, 4, 4, in, out); // conv2d weights: [kH, kW, in, out]
            addNormOrBias(b, discriminatorStage(s), out, discriminatorStageNorm(a, s).hasScaleAndOffset(),
                    16L * in, out);
            in = out;
        }
        long features = (long) in * a.baseSize() * a.baseSize();
        b.add(weights(D_LOGIT), Init.WEIGHT, features, 1);
        b.bias(bias(D_LOGIT), features, 1);
        if (a.conditional()) {
            b.add(weights(D_EMBED), Init.WEIGHT, a.classes(), features);
        }
        return b.build();
    }

    /** The normalisation of D's stage {@code s}: none in the first (DCGAN's choice), the configured one after. */
    static Normalisation discriminatorStageNorm(GanArchitecture a, int s) {
        return s == 0 ? Normalisation.NONE : a.discriminatorNorm();
    }

    private static void addNormOrBias(ParamLayout.Builder b, String layer, int channels, boolean norm,
                                      long fanIn, long biasLength) {
        if (norm) {
            b.add(gamma(layer), Init.SCALE, channels);
            b.add(beta(layer), Init.ZERO, channels);
        } else {
            b.bias(bias(layer), fanIn, biasLength);
        }
    }

    /**
     * The fan-in PyTorch gives a 4×4 transposed convolution's bias: its weight's second dimension (the
     * output channels) times the kernel's area, so that G's biases start where PyTorch starts them.
     */
    private static long transposedFanIn(int outputChannels) {
        return 16L * outputChannels;
    }

    /** Declares every parameter of {@code layout} as a trainable variable (values are set later). */
    public static void declare(SameDiff sd, ParamLayout layout, DataType dtype) {
        for (ParamLayout.Param p : layout.params()) {
            sd.var(p.name(), Nd4j.zeros(dtype, p.shape()));
        }
    }

    /** G(z): images in [-1, 1], NCHW. */
    public static SDVariable generator(SameDiff sd, SDVariable z, GanArchitecture a) {
        return generator(sd, z, null, a);
    }

    /**
     * G(z, y): images in [-1, 1], NCHW; {@code labels} (integer classes, [n]) for a conditional G,
     * joined to z as a one-hot.
     */
    public static SDVariable generator(SameDiff sd, SDVariable z, SDVariable labels, GanArchitecture a) {
        int base = a.baseSize();
        int c0 = a.generatorChannels(0);
        SDVariable input = a.conditional() ? sd.concat(1, z, oneHot(sd, labels, a, z.dataType())) : z;
        SDVariable h = input.mmul(sd.getVariable(weights(G_PROJECT)));
        Normalisation norm = a.generatorNorm();
        if (!a.generatorBatchNorm()) {
            h = h.add(sd.getVariable(bias(G_PROJECT)));
        }
        h = sd.reshape(h, -1, c0, base, base);
        h = normalise(sd, h, G_PROJECT, norm);
        h = sd.nn().relu(h, 0.0);
        for (int s = 1; s <= a.stages(); s++) {
            String layer = generatorStage(s);
            boolean last = s == a.stages();
            Normalisation stageNorm = last ? Normalisation.NONE : norm;
            SDVariable bias = stageNorm.hasScaleAndOffset() ? null : sd.getVariable(bias(layer));
            h = bias == null
                    ? sd.cnn().deconv2d(h, sd.getVariable(weights(layer)), upsample())
                    : sd.cnn().deconv2d(h, sd.getVariable(weights(layer)), bias, upsample());
            if (last) {
                h = sd.math().tanh(h);
            } else {
                h = normalise(sd, h, layer, stageNorm);
                h = sd.nn().relu(h, 0.0);
            }
        }
        return h;
    }

    /** D(x) before the sigmoid: one logit (or WGAN critic value) per image, shape [batch, 1]. */
    public static SDVariable discriminatorLogits(SameDiff sd, SDVariable x, GanArchitecture a) {
        return discriminatorLogits(sd, x, null, a);
    }

    /** D(x, y): for a conditional D the logit plus the projection term ⟨embed(y), φ(x)⟩. */
    public static SDVariable discriminatorLogits(SameDiff sd, SDVariable x, SDVariable labels, GanArchitecture a) {
        SDVariable h = x;
        for (int s = 0; s < a.stages(); s++) {
            String layer = discriminatorStage(s);
            Normalisation norm = discriminatorStageNorm(a, s);
            h = norm.hasScaleAndOffset()
                    ? sd.cnn().conv2d(h, sd.getVariable(weights(layer)), downsample())
                    : sd.cnn().conv2d(h, sd.getVariable(weights(layer)), sd.getVariable(bias(layer)), downsample());
            h = normalise(sd, h, layer, norm);
            h = sd.nn().leakyRelu(h, LEAKY_SLOPE);
        }
        long features = (long) a.discriminatorChannels(a.stages() - 1) * a.baseSize() * a.baseSize();
        h = sd.reshape(h, -1, features);
        SDVariable logits = h.mmul(sd.getVariable(weights(D_LOGIT))).add(sd.getVariable(bias(D_LOGIT)));
        if (!a.conditional()) {
            return logits;
        }
        SDVariable embedded = oneHot(sd, labels, a, x.dataType()).mmul(sd.getVariable(weights(D_EMBED)));
        return logits.add(sd.sum(h.mul(embedded), true, 1));
    }

    private static SDVariable oneHot(SameDiff sd, SDVariable labels, GanArchitecture a, DataType type) {
        if (labels == null) {
            throw new IllegalArgumentException("a conditional GAN's graph needs class labels");
        }
        return sd.oneHot(labels, a.classes()).castTo(type);
    }

    /**
     * Batch norm (statistics over the batch and positions of each channel) or layer norm (over each
     * image's channels and positions), then a scale and offset per channel; nothing for {@code NONE}.
     */
    private static SDVariable normalise(SameDiff sd, SDVariable x, String layer, Normalisation norm) {
        if (norm == Normalisation.NONE) {
            return x;
        }
        int[] over = norm == Normalisation.BATCH ? new int[] {0, 2, 3} : new int[] {1, 2, 3};
        SDVariable mean = sd.mean(x, true, over);
        SDVariable centred = x.sub(mean);
        SDVariable variance = sd.mean(centred.mul(centred), true, over);
        SDVariable normalised = centred.div(sd.math().sqrt(variance.add(BN_EPSILON)));
        SDVariable gamma = sd.getVariable(gamma(layer));
        long channels = gamma.getShape()[0];
        return normalised.mul(sd.reshape(gamma, 1, channels, 1, 1))
                .add(sd.reshape(sd.getVariable(beta(layer)), 1, channels, 1, 1));
    }

    private static DeConv2DConfig upsample() {
        return DeConv2DConfig.builder().kH(4).kW(4).sH(2).sW(2).pH(1).pW(1).isSameMode(false)
                .dataFormat("NCHW").build();
    }

    private static Conv2DConfig downsample() {
        return Conv2DConfig.builder().kH(4).kW(4).sH(2).sW(2).pH(1).pW(1).dataFormat("NCHW").build();
    }
}

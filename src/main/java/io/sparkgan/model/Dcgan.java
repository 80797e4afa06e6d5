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
    private static final double LEAKY_SLOPE = 0.2;
    private static final double BN_EPSILON = 1e-5;

    private Dcgan() {
    }

    public static ParamLayout generatorLayout(GanArchitecture a) {
        ParamLayout.Builder b = ParamLayout.builder();
        int base = a.baseSize();
        int c0 = a.generatorChannels(0);
        long projected = (long) c0 * base * base;
        b.add("g/project/W", Init.WEIGHT, a.latentDim(), projected);
        addNormOrBias(b, "g/project", c0, a.batchNorm(), projected); // a dense bias is per unit, not per channel
        for (int s = 1; s < a.stages(); s++) {
            int in = a.generatorChannels(s - 1);
            int out = a.generatorChannels(s);
            b.add("g/up" + s + "/W", Init.WEIGHT, 4, 4, out, in); // deconv2d weights: [kH, kW, out, in]
            addNormOrBias(b, "g/up" + s, out, a.batchNorm(), out);
        }
        int last = a.stages();
        b.add("g/up" + last + "/W", Init.WEIGHT, 4, 4, a.channels(), a.generatorChannels(last - 1));
        b.add("g/up" + last + "/b", Init.ZERO, a.channels());
        return b.build();
    }

    public static ParamLayout discriminatorLayout(GanArchitecture a) {
        ParamLayout.Builder b = ParamLayout.builder();
        int in = a.channels();
        for (int s = 0; s < a.stages(); s++) {
            int out = a.discriminatorChannels(s);
            b.add("d/down" + s + "/W", Init.WEIGHT, 4, 4, in, out); // conv2d weights: [kH, kW, in, out]
            addNormOrBias(b, "d/down" + s, out, a.batchNorm() && s > 0, out);
            in = out;
        }
        long features = (long) in * a.baseSize() * a.baseSize();
        b.add("d/logit/W", Init.WEIGHT, features, 1);
        b.add("d/logit/b", Init.ZERO, 1);
        return b.build();
    }

    private static void addNormOrBias(ParamLayout.Builder b, String layer, int channels, boolean norm,
                                      long biasLength) {
        if (norm) {
            b.add(layer + "/gamma", Init.SCALE, channels);
            b.add(layer + "/beta", Init.ZERO, channels);
        } else {
            b.add(layer + "/b", Init.ZERO, biasLength);
        }
    }

    /** Declares every parameter of {@code layout} as a trainable variable (values are set later). */
    public static void declare(SameDiff sd, ParamLayout layout, DataType dtype) {
        for (ParamLayout.Param p : layout.params()) {
            sd.var(p.name(), Nd4j.zeros(dtype, p.shape()));
        }
    }

    /** G(z): images in [-1, 1], NCHW. */
    public static SDVariable generator(SameDiff sd, SDVariable z, GanArchitecture a) {
        int base = a.baseSize();
        int c0 = a.generatorChannels(0);
        SDVariable h = z.mmul(sd.getVariable("g/project/W"));
        if (!a.batchNorm()) {
            h = h.add(sd.getVariable("g/project/b"));
        }
        h = sd.reshape(h, -1, c0, base, base);
        h = normOrNothing(sd, h, "g/project", a.batchNorm());
        h = sd.nn().relu(h, 0.0);
        for (int s = 1; s <= a.stages(); s++) {
            String layer = "g/up" + s;
            boolean last = s == a.stages();
            boolean norm = a.batchNorm() && !last;
            SDVariable bias = norm ? null : sd.getVariable(layer + "/b");
            h = bias == null
                    ? sd.cnn().deconv2d(h, sd.getVariable(layer + "/W"), upsample())
                    : sd.cnn().deconv2d(h, sd.getVariable(layer + "/W"), bias, upsample());
            if (last) {
                h = sd.math().tanh(h);
            } else {
                h = normOrNothing(sd, h, layer, norm);
                h = sd.nn().relu(h, 0.0);
            }
        }
        return h;
    }

    /** D(x) before the sigmoid: one logit (or WGAN critic value) per image, shape [batch, 1]. */
    public static SDVariable discriminatorLogits(SameDiff sd, SDVariable x, GanArchitecture a) {
        SDVariable h = x;
        for (int s = 0; s < a.stages(); s++) {
            String layer = "d/down" + s;
            boolean norm = a.batchNorm() && s > 0;
            h = norm
                    ? sd.cnn().conv2d(h, sd.getVariable(layer + "/W"), downsample())
                    : sd.cnn().conv2d(h, sd.getVariable(layer + "/W"), sd.getVariable(layer + "/b"), downsample());
            h = normOrNothing(sd, h, layer, norm);
            h = sd.nn().leakyRelu(h, LEAKY_SLOPE);
        }
        long features = (long) a.discriminatorChannels(a.stages() - 1) * a.baseSize() * a.baseSize();
        h = sd.reshape(h, -1, features);
        return h.mmul(sd.getVariable("d/logit/W")).add(sd.getVariable("d/logit/b"));
    }

    private static SDVariable normOrNothing(SameDiff sd, SDVariable x, String layer, boolean norm) {
        if (!norm) {
            return x;
        }
        SDVariable mean = sd.mean(x, true, 0, 2, 3);
        SDVariable centred = x.sub(mean);
        SDVariable variance = sd.mean(centred.mul(centred), true, 0, 2, 3);
        SDVariable normalised = centred.div(sd.math().sqrt(variance.add(BN_EPSILON)));
        SDVariable gamma = sd.getVariable(layer + "/gamma");
        long channels = gamma.getShape()[0];
        return normalised.mul(sd.reshape(gamma, 1, channels, 1, 1))
                .add(sd.reshape(sd.getVariable(layer + "/beta"), 1, channels, 1, 1));
    }

    private static DeConv2DConfig upsample() {
        return DeConv2DConfig.builder().kH(4).kW(4).sH(2).sW(2).pH(1).pW(1).isSameMode(false)
                .dataFormat("NCHW").build();
    }

    private static Conv2DConfig downsample() {
        return Conv2DConfig.builder().kH(4).kW(4).sH(2).sW(2).pH(1).pW(1).dataFormat("NCHW").build();
    }
}

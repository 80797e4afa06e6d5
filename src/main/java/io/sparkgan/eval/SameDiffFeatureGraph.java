package io.sparkgan.eval;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.graph.MergeVertex;
import org.deeplearning4j.nn.conf.layers.ActivationLayer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.enums.WeightsFormat;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Conv2DConfig;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.PaddingMode;
import org.nd4j.linalg.api.ops.impl.layers.convolution.config.Pooling2DConfig;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The part of an imported Keras CNN that leads to one vertex, rebuilt as a SameDiff graph in NCHW
 * with batch normalisation folded to a per-channel scale and shift (inference only).
 *
 * <p>Why: DL4J's layer API does not reach oneDNN or cuDNN in 1.0.0-M2.1 (its helpers are off by
 * default, {@code org.eclipse.deeplearning4j.helpers.disable}; turned on they fail, because
 * {@code BaseMKLDNNHelper} looks up an {@code Nd4jCpu$Environment} class that moved; and the cuDNN
 * helpers were last published for 1.0.0-M1.1), which makes InceptionV3 take
 * seconds per image; SameDiff's ops call the native oneDNN (CPU) and cuDNN (GPU) kernels. Only the layer
 * types InceptionV3 uses are translated (2-D convolution, batch normalisation, ReLU or identity, max
 * and average pooling, concatenation along channels, global pooling); anything else makes
 * {@link #translate} return {@code null} and the caller keeps the ComputationGraph.
 *
 * <p>Semantics follow the imported DL4J configuration (padding mode, explicit padding, whether
 * average pooling counts padded cells), so the two agree; InceptionExtractorTest checks that.
 */
final class SameDiffFeatureGraph {
    static final String INPUT = "input";

    private final SameDiff sd;
    private final String output;

    private SameDiffFeatureGraph(SameDiff sd, String output) {
        this.sd = sd;
        this.output = output;
    }

    /** Activations of the feature vertex, [n, features], for NCHW float input. */
    INDArray output(INDArray nchw) {
        return sd.outputSingle(Map.of(INPUT, nchw), output);
    }

    /** Why a graph could not be translated. */
    static final class Unsupported extends Exception {
        Unsupported(String message) {
            super(message);
        }
    }

    /**
     * Translates the ancestors of {@code vertex}.
     *
     * @param channelsLast whether the imported graph's convolutional activations are NHWC (its merge
     *        axis is then 3)
     * @throws Unsupported naming the first vertex that has no translation here
     */
    static SameDiffFeatureGraph translate(ComputationGraph graph, String vertex, boolean channelsLast, int height,
                                          int width) throws Unsupported {
        ComputationGraphConfiguration conf = graph.getConfiguration();
        if (conf.getNetworkInputs().size() != 1) {
            throw new Unsupported(conf.getNetworkInputs().size() + " network inputs");
        }
        SameDiff sd = SameDiff.create();
        Map<String, SDVariable> built = new HashMap<>();
        built.put(conf.getNetworkInputs().get(0), sd.placeHolder(INPUT, DataType.FLOAT, -1, 3, height, width));
        SDVariable out = build(graph, vertex, channelsLast, sd, built);
        if (out.getShape() != null && out.getShape().length != 2) {
            throw new Unsupported(vertex + " is not a flat feature vector");
        }
        return new SameDiffFeatureGraph(sd, out.name());
    }

    private static SDVariable build(ComputationGraph graph, String name, boolean channelsLast, SameDiff sd,
                                    Map<String, SDVariable> built) throws Unsupported {
        SDVariable done = built.get(name);
        if (done != null) {
            return done;
        }
        ComputationGraphConfiguration conf = graph.getConfiguration();
        GraphVertex vertex = conf.getVertices().get(name);
        List<String> inputNames = conf.getVertexInputs().get(name);
        SDVariable[] inputs = new SDVariable[inputNames.size()];
        for (int i = 0; i < inputs.length; i++) {
            inputs[i] = build(graph, inputNames.get(i), channelsLast, sd, built);
        }
        SDVariable result;
        if (vertex instanceof MergeVertex merge) {
            int channelAxis = channelsLast ? 3 : 1;
            if (merge.getMergeAxis() != channelAxis && !(channelsLast && merge.getMergeAxis() == -1)) {
                throw new Unsupported(name + ": concatenation along axis " + merge.getMergeAxis());
            }
            result = inputs.length == 1 ? inputs[0] : sd.concat(name, 1, inputs);
        } else if (vertex instanceof LayerVertex lv) {
            if (lv.getPreProcessor() != null) {
                throw new Unsupported(name + ": input preprocessor " + lv.getPreProcessor());
            }
            if (inputs.length != 1) {
                throw new Unsupported(name + ": " + inputs.length + " inputs");
            }
            result = layer(graph, name, lv.getLayerConf().getLayer(), inputs[0], sd);
        } else {
            throw new Unsupported(name + ": vertex " + (vertex == null ? "none" : vertex.getClass().getSimpleName()));
        }
        built.put(name, result);
        return result;
    }

    private static SDVariable layer(ComputationGraph graph, String name, Layer layer, SDVariable x, SameDiff sd)
            throws Unsupported {
        if (layer.getClass() == ConvolutionLayer.class) {
            return convolution(graph, name, (ConvolutionLayer) layer, x, sd);
        }
        if (layer instanceof BatchNormalization bn) {
            return batchNorm(graph, name, bn, x, sd);
        }
        if (layer instanceof ActivationLayer a) {
            return activation(name, a.getActivationFn(), x, sd);
        }
        if (layer.getClass() == SubsamplingLayer.class) {
            return pooling(name, (SubsamplingLayer) layer, x, sd);
        }
        if (layer instanceof GlobalPoolingLayer g && g.isCollapseDimensions()) {
            if (g.getPoolingType() == PoolingType.AVG) {
                return sd.mean(name, x, 2, 3);
            }
            if (g.getPoolingType() == PoolingType.MAX) {
                return sd.max(name, x, 2, 3);
            }
            throw new Unsupported(name + ": global pooling " + g.getPoolingType());
        }
        throw new Unsupported(name + ": layer " + layer.getClass().getSimpleName());
    }

    private static SDVariable convolution(ComputationGraph graph, String name, ConvolutionLayer c, SDVariable x,
                                          SameDiff sd) throws Unsupported {
        INDArray w = graph.getLayer(name).getParam("W").dup();
        int[] k = c.getKernelSize();
        if (w.rank() != 4 || w.size(2) != k[0] || w.size(3) != k[1]) {
            throw new Unsupported(name + ": weights " + Arrays.toString(w.shape()));
        }
        Conv2DConfig config = Conv2DConfig.builder().kH(k[0]).kW(k[1])
                .sH(c.getStride()[0]).sW(c.getStride()[1])
                .pH(c.getPadding()[0]).pW(c.getPadding()[1])
                .dH(c.getDilation()[0]).dW(c.getDilation()[1])
                .paddingMode(padding(name, c.getConvolutionMode()))
                .dataFormat("NCHW").weightsFormat(WeightsFormat.OIYX).build();
        SDVariable weights = sd.constant(name + "/W", w);
        SDVariable y = c.hasBias()
                ? sd.cnn().conv2d(name, x, weights, sd.constant(name + "/b",
                        graph.getLayer(name).getParam("b").reshape(w.size(0)).dup()), config)
                : sd.cnn().conv2d(name, x, weights, config);
        return activation(name, c.getActivationFn(), y, sd);
    }

    /** Inference batch norm folded into a per-channel scale and shift. */
    private static SDVariable batchNorm(ComputationGraph graph, String name, BatchNormalization bn, SDVariable x,
                                        SameDiff sd) {
        // y = gamma (x - mean) / sqrt(var + eps) + beta = x * scale + shift, per channel
        org.deeplearning4j.nn.api.Layer impl = graph.getLayer(name);
        INDArray var = bn.isUseLogStd()
                ? Transforms.pow(Nd4j.valueArrayOf(impl.getParam("log10stdev").shape(), 10.0)
                        .castTo(impl.getParam("log10stdev").dataType()), impl.getParam("log10stdev").mul(2), false)
                : impl.getParam("var");
        long channels = var.length();
        INDArray gamma = bn.isLockGammaBeta()
                ? Nd4j.valueArrayOf(new long[] {channels}, bn.getGamma()).castTo(var.dataType())
                : impl.getParam("gamma");
        INDArray beta = bn.isLockGammaBeta()
                ? Nd4j.valueArrayOf(new long[] {channels}, bn.getBeta()).castTo(var.dataType())
                : impl.getParam("beta");
        INDArray scale = gamma.reshape(channels).div(Transforms.sqrt(var.reshape(channels).add(bn.getEps()), false));
        INDArray shift = beta.reshape(channels).sub(impl.getParam("mean").reshape(channels).mul(scale));
        SDVariable s = sd.constant(name + "/scale", scale.reshape(1, channels, 1, 1));
        SDVariable t = sd.constant(name + "/shift", shift.reshape(1, channels, 1, 1));
        return x.mul(s).add(name, t);
    }

    private static SDVariable pooling(String name, SubsamplingLayer p, SDVariable x, SameDiff sd) throws Unsupported {
        Pooling2DConfig config = Pooling2DConfig.builder().kH(p.getKernelSize()[0]).kW(p.getKernelSize()[1])
                .sH(p.getStride()[0]).sW(p.getStride()[1]).pH(p.getPadding()[0]).pW(p.getPadding()[1])
                .dH(p.getDilation()[0]).dW(p.getDilation()[1])
                .paddingMode(padding(name, p.getConvolutionMode()))
                // libnd4j's avgpool2d reads its divisor from `extra` (0: real cells only, as
                // TensorFlow; 1: with the padding); Pooling2DConfig's `divisor` is not passed on in M2.1
                .extra(p.isAvgPoolIncludePadInDivisor() ? 1 : 0)
                .isNHWC(false).build();
        if (p.getPoolingType() == PoolingType.MAX) {
            return sd.cnn().maxPooling2d(name, x, config);
        }
        if (p.getPoolingType() == PoolingType.AVG) {
            return sd.cnn().avgPooling2d(name, x, config);
        }
        throw new Unsupported(name + ": pooling " + p.getPoolingType());
    }

    private static PaddingMode padding(String name, ConvolutionMode mode) throws Unsupported {
        return switch (mode) {
            case Same -> PaddingMode.SAME;
            case Truncate, Strict -> PaddingMode.VALID;
            default -> throw new Unsupported(name + ": convolution mode " + mode);
        };
    }

    private static SDVariable activation(String name, IActivation fn, SDVariable x, SameDiff sd) throws Unsupported {
        if (fn == null || fn instanceof ActivationIdentity) {
            return x;
        }
        if (fn instanceof ActivationReLU relu && relu.getMax() == null
                && (relu.getThreshold() == null || relu.getThreshold() == 0)
                && (relu.getNegativeSlope() == null || relu.getNegativeSlope() == 0)) {
            return sd.nn().relu(name + "/relu", x, 0.0);
        }
        throw new Unsupported(name + ": activation " + fn);
    }
}

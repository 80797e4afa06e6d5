package io.sparkgan.eval;

import io.sparkgan.data.Hashes;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.util.ModelSerializer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/**
 * The {@code evaluator} feature extractor: a small CNN classifier trained on the labelled dataset
 * (DL4J layer API, trained on Spark by {@link EvaluatorTrainer}). Its penultimate dense layer gives
 * the features, in the spirit of the "domain-specific classifier" FIDs used where ImageNet
 * features fit the data poorly (grey 28×28 clothing is far from ImageNet). Its class predictions
 * also give the mode-coverage score. Not thread-safe: one instance per task thread.
 */
public final class EvaluatorClassifier implements FeatureExtractor {
    /** Width of the feature layer. */
    static final int FEATURES = 128;
    /** Layer index of the feature layer (conv, pool, conv, pool, dense, output). */
    private static final int FEATURE_LAYER = 4;

    private final MultiLayerNetwork network;
    private final String sha256;

    private EvaluatorClassifier(MultiLayerNetwork network, String sha256) {
        this.network = network;
        this.sha256 = sha256;
    }

    /**
     * The network, untrained: two conv/pool stages (16 and 32 channels), a 128-unit feature layer,
     * softmax over classes. Small on purpose: it is trained and run on CPUs inside every FID stage,
     * and a wider one (32/64) gained ~1% accuracy for twice the time.
     */
    static MultiLayerConfiguration configuration(int size, int channels, int classes, long seed) {
        return new NeuralNetConfiguration.Builder()
                .seed(seed)
                .dataType(DataType.FLOAT)
                .updater(new Adam(1e-3))
                .weightInit(WeightInit.RELU)
                .convolutionMode(ConvolutionMode.Same)
                .list()
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(16).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new ConvolutionLayer.Builder(3, 3).nOut(32).activation(Activation.RELU).build())
                .layer(new SubsamplingLayer.Builder(SubsamplingLayer.PoolingType.MAX).kernelSize(2, 2).stride(2, 2).build())
                .layer(new DenseLayer.Builder().nOut(FEATURES).activation(Activation.RELU).build())
                .layer(new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT).nOut(classes)
                        .activation(Activation.SOFTMAX).build())
                .setInputType(InputType.convolutional(size, size, channels))
                .build();
    }

    /** Reads a model saved by {@link #toBytes}. */
    public static EvaluatorClassifier fromBytes(byte[] zip) {
        try {
            MultiLayerNetwork network = ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(zip), false);
            return new EvaluatorClassifier(network, Hashes.sha256Hex(zip));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the evaluator model: " + e.getMessage(), e);
        }
    }

    /** The DL4J model zip (ModelSerializer format, no updater state): loadable by plain DL4J. */
    static byte[] toBytes(MultiLayerNetwork network) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ModelSerializer.writeModel(network, out, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @Override
    public String name() {
        return "evaluator";
    }

    @Override
    public String contentHash() {
        return sha256;
    }

    @Override
    public int featureDim() {
        return FEATURES;
    }

    @Override
    public INDArray features(INDArray images) {
        return activations(images).get(FEATURE_LAYER + 1).castTo(DataType.DOUBLE);
    }

    /** Features and predicted classes from one forward pass. */
    public Output featuresAndClasses(INDArray images) {
        List<INDArray> a = activations(images);
        INDArray probabilities = a.get(a.size() - 1);
        return new Output(a.get(FEATURE_LAYER + 1).castTo(DataType.DOUBLE), probabilities.argMax(1).toIntVector(),
                probabilities.castTo(DataType.DOUBLE));
    }

    public int classes() {
        return (int) network.getLayer(network.getnLayers() - 1).getParam("W").size(1);
    }

    private List<INDArray> activations(INDArray images) {
        return network.feedForwardToLayer(network.getnLayers() - 1, images.castTo(DataType.FLOAT), false);
    }

    /** Penultimate-layer features [n, 128] (DOUBLE), the argmax class of each image and the softmax [n, classes]. */
    public record Output(INDArray features, int[] classes, INDArray probabilities) {}
}

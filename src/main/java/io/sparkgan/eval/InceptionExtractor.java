package io.sparkgan.eval;

import io.sparkgan.data.Hashes;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.modelimport.keras.KerasModel;
import org.deeplearning4j.nn.modelimport.keras.exceptions.InvalidKerasConfigurationException;
import org.deeplearning4j.nn.modelimport.keras.exceptions.UnsupportedKerasConfigurationException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * InceptionV3 pool3 features (the 2048-d output of the global average pooling after the last
 * inception block, Szegedy et al., "Rethinking the Inception Architecture for Computer Vision",
 * 2016), the features FID was defined on (Heusel et al., "GANs Trained by a Two Time-Scale Update
 * Rule Converge to a Local Nash Equilibrium", 2017).
 *
 * <p>The network comes from a Keras {@code .h5} file the user provides (config key
 * {@value #CONFIG_KEY}), imported with DL4J's Keras model import: Keras's
 * {@code keras.applications.InceptionV3} saved with its ImageNet weights, either
 * {@code include_top=False, pooling='avg'} (the pooling is the model's output) or
 * {@code include_top=True} (the layer named {@code avg_pool} is read, the classifier after it is not
 * evaluated).
 *
 * <p><b>Not comparable with published FIDs.</b> Keras's ImageNet weights are not the "FID Inception"
 * weights (TensorFlow's 2015-12-05 Inception graph, ported as {@code pt_inception-2015-12-05} in
 * pytorch-fid) that the original TTUR code and pytorch-fid use, so absolute values differ from
 * figures in papers. FIDs computed with this extractor
 * are comparable with each other only, which is why every report carries {@link #contentHash()}.
 *
 * <p>Preprocessing follows pytorch-fid: grey images are repeated to three channels, images are
 * resized to the network's input size (299×299) with bilinear interpolation at half-pixel centres
 * without corner alignment ({@link InceptionInput}), and values
 * stay in [-1, 1], which is the range Keras's {@code inception_v3.preprocess_input} produces from
 * [0, 255]. Images are fed in chunks of {@value #CHUNK} (one 299×299×3 float image is 1 MB).
 *
 * <p>The imported graph is rebuilt on SameDiff's native ops ({@link SameDiffFeatureGraph}: oneDNN on
 * CPU, cuDNN on GPU); DL4J's own layers, the fallback for layer types that translation does not cover,
 * run InceptionV3 about 6× slower on CPU (measured on 2 cores: ~0.6 s against ~4 s per image). Loading
 * reads the whole file (~90 MB) and keeps the weights twice (imported graph and SameDiff constants).
 *
 * <p>An instance is <b>not thread-safe</b> (neither a DL4J {@code ComputationGraph} nor a
 * {@code SameDiff} graph is): use one per executor task thread.
 */
public final class InceptionExtractor implements FeatureExtractor {
    public static final String NAME = "inception";
    /** Where the user names the weights file. */
    public static final String CONFIG_KEY = "fid.inception-weights";
    /** The Keras layer name of the pool3 features in InceptionV3 with {@code include_top=True}. */
    static final String POOL_LAYER = "avg_pool";
    /** The Keras layer name of InceptionV3's classifier (a softmax Dense on pool3) with {@code include_top=True}. */
    static final String CLASSIFIER_LAYER = "predictions";
    static final int DEFAULT_INPUT_SIZE = 299;
    /** Images per forward pass. */
    static final int CHUNK = 32;

    private static final Logger LOG = LoggerFactory.getLogger(InceptionExtractor.class);

    private final ComputationGraph graph;
    /** The same computation on native ops; null where the graph has a layer it does not translate. */
    private final SameDiffFeatureGraph fast;
    private final String featureVertex;
    private final int inputHeight;
    private final int inputWidth;
    private final boolean channelsLast;
    private final int featureDim;
    private final String contentHash;
    private final INDArray classifierWeights; // [featureDim, classes], double; null without the top layer
    private final INDArray classifierBias;

    private InceptionExtractor(ComputationGraph graph, String featureVertex, int inputHeight, int inputWidth,
                               boolean channelsLast, String contentHash) {
        this.graph = graph;
        this.featureVertex = featureVertex;
        SameDiffFeatureGraph translated = null;
        try {
            translated = SameDiffFeatureGraph.translate(graph, featureVertex, channelsLast, inputHeight, inputWidth);
        } catch (SameDiffFeatureGraph.Unsupported e) {
            LOG.warn("InceptionV3 features run on DL4J's layer implementations (seconds per image on CPU): {}",
                    e.getMessage());
        }
        this.fast = translated;
        this.inputHeight = inputHeight;
        this.inputWidth = inputWidth;
        this.channelsLast = channelsLast;
        this.contentHash = contentHash;
        this.featureDim = (int) forward(Nd4j.zeros(DataType.FLOAT, 1, 3, inputHeight, inputWidth)).size(1);
        var head = POOL_LAYER.equals(featureVertex)
                ? graph.getVertex(CLASSIFIER_LAYER) : null;
        Layer top = head != null && head.hasLayer() ? head.getLayer() : null;
        this.classifierWeights = top == null ? null : top.getParam("W").castTo(DataType.DOUBLE);
        this.classifierBias = top == null ? null : top.getParam("b").castTo(DataType.DOUBLE).reshape(1, -1);
    }

    /**
     * The extractor for the weights named in the config ({@value #CONFIG_KEY}): a local path or a
     * {@code file:}, {@code hdfs:} or {@code s3a:} URI. A remote file is copied to a local temporary
     * file first (HDF5 reads only local files), which is deleted once the model is loaded.
     *
     * @throws EvaluationException if no location is given, the file does not exist or is empty, or it
     *         is not a Keras model DL4J can import; the message says what file is needed and how to
     *         make it
     */
    public static InceptionExtractor fromLocation(String location, Storage storage) {
        if (location == null || location.isBlank()) {
            throw missingWeights(CONFIG_KEY + " is not set");
        }
        Path path = Storage.qualify(location.trim());
        try {
            if (!storage.exists(path) || storage.isDirectory(path)) {
                throw missingWeights(CONFIG_KEY + " = \"" + location + "\": there is no file " + path);
            }
            if ("file".equals(path.toUri().getScheme())) {
                return load(java.nio.file.Path.of(path.toUri()));
            }
            java.nio.file.Path local = Files.createTempFile("sparkgan-inception-", ".h5");
            try {
                try (InputStream in = storage.open(path)) {
                    Files.copy(in, local, StandardCopyOption.REPLACE_EXISTING);
                }
                return load(local, location);
            } finally {
                Files.deleteIfExists(local);
            }
        } catch (IOException e) {
            throw new EvaluationException("cannot read the InceptionV3 weights " + path + " (" + CONFIG_KEY + "): "
                    + e.getMessage(), e);
        }
    }

    /**
     * The extractor for a local Keras {@code .h5} file holding InceptionV3's architecture and weights.
     *
     * @throws EvaluationException as {@link #fromLocation}
     */
    public static InceptionExtractor load(java.nio.file.Path localH5) {
        return load(localH5, localH5.toString());
    }

    private static InceptionExtractor load(java.nio.file.Path localH5, String shownAs) {
        if (!Files.isRegularFile(localH5)) {
            throw missingWeights("there is no file " + shownAs);
        }
        String hash;
        try {
            if (Files.size(localH5) == 0) {
                throw missingWeights(shownAs + " is empty (0 bytes)");
            }
            try (InputStream in = Files.newInputStream(localH5)) {
                hash = Hashes.sha256Hex(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + shownAs + ": " + e.getMessage(), e);
        }
        ComputationGraph graph;
        InputType input;
        try {
            KerasModel keras = new KerasModel().modelBuilder().modelHdf5Filename(localH5.toString())
                    .enforceTrainingConfig(false).buildModel();
            if (keras.getInputLayerNames().size() != 1) {
                throw new EvaluationException(shownAs + " (" + CONFIG_KEY + ") has " + keras.getInputLayerNames().size()
                        + " inputs " + keras.getInputLayerNames() + "; InceptionV3 has one. " + HOW_TO_MAKE);
            }
            input = keras.getOutputTypes().get(keras.getInputLayerNames().get(0));
            graph = keras.getComputationGraph();
        } catch (IOException | InvalidKerasConfigurationException | UnsupportedKerasConfigurationException
                 | RuntimeException e) {
            if (e instanceof EvaluationException ee) {
                throw ee;
            }
            throw new EvaluationException(shownAs + " (" + CONFIG_KEY + ") is not a Keras model that DL4J "
                    + "1.0.0-M2.1 can import: " + e + ". " + HOW_TO_MAKE, e);
        }
        String vertex = featureVertex(graph, shownAs);
        if (!(input instanceof InputType.InputTypeConvolutional conv) || conv.getChannels() != 3) {
            throw new EvaluationException(shownAs + " (" + CONFIG_KEY + ") takes input " + input
                    + "; InceptionV3 takes RGB images (height, width, 3 channels). " + HOW_TO_MAKE);
        }
        int height = conv.getHeight() > 0 ? (int) conv.getHeight() : DEFAULT_INPUT_SIZE;
        int width = conv.getWidth() > 0 ? (int) conv.getWidth() : DEFAULT_INPUT_SIZE;
        // DL4J keeps Keras's channels_last layout (NHWC) for TensorFlow-ordered models
        boolean channelsLast = conv.getFormat() == CNN2DFormat.NHWC;
        return new InceptionExtractor(graph, vertex, height, width, channelsLast, hash);
    }

    static final String HOW_TO_MAKE = "The file needed is Keras's InceptionV3 with its ImageNet weights, the whole "
            + "model saved as .h5 (architecture and weights in one file, about 90 MB). To make it, run in Python "
            + "with TensorFlow 2 up to 2.15 (Keras 2; Keras 3's .h5 layout is not what DL4J 1.0.0-M2.1 reads): "
            + "import tensorflow as tf; tf.keras.applications.InceptionV3(include_top=False, pooling='avg', "
            + "input_shape=(299,299,3)).save('inception_v3.h5'). Then put its path (local, file:, hdfs: or "
            + "s3a:) in " + CONFIG_KEY + ", e.g. --set " + CONFIG_KEY + "=/data/models/inception_v3.h5. "
            + "(fid.extractor = evaluator needs no download.)";

    static EvaluationException missingWeights(String problem) {
        return new EvaluationException("FID with fid.extractor = inception needs the InceptionV3 weights file "
                + "(a Keras .h5 such as inception_v3.h5), but " + problem + ". " + HOW_TO_MAKE);
    }

    /**
     * The pool3 vertex: the layer named {@value #POOL_LAYER} (InceptionV3 with its classifier), else
     * the graph's only global average pooling layer ({@code include_top=False, pooling='avg'}).
     */
    private static String featureVertex(ComputationGraph graph, String shownAs) {
        Map<String, GraphVertex> vertices = graph.getConfiguration().getVertices();
        if (vertices.get(POOL_LAYER) instanceof LayerVertex) {
            return POOL_LAYER;
        }
        List<String> pools = new ArrayList<>();
        for (Map.Entry<String, GraphVertex> e : vertices.entrySet()) {
            if (e.getValue() instanceof LayerVertex lv && lv.getLayerConf() != null
                    && lv.getLayerConf().getLayer() instanceof GlobalPoolingLayer gp
                    && gp.getPoolingType() == PoolingType.AVG) {
                pools.add(e.getKey());
            }
        }
        if (pools.size() != 1) {
            throw new EvaluationException(shownAs + " (" + CONFIG_KEY + ") has " + (pools.isEmpty() ? "no" : pools.size())
                    + " global average pooling layers " + pools + " and none named " + POOL_LAYER
                    + "; expected InceptionV3, whose pool3 features are that pooling's output. " + HOW_TO_MAKE);
        }
        return pools.get(0);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String contentHash() {
        return contentHash;
    }

    @Override
    public int featureDim() {
        return featureDim;
    }

    /** The name of the graph vertex whose activations are the features. */
    String featureVertex() {
        return featureVertex;
    }

    @Override
    public INDArray features(INDArray images) {
        if (images.rank() != 4 || (images.size(1) != 1 && images.size(1) != 3)) {
            throw new IllegalArgumentException("expected images as [n, 1 or 3 channels, height, width], got "
                    + Arrays.toString(images.shape()));
        }
        long n = images.size(0);
        INDArray out = Nd4j.create(DataType.DOUBLE, n, featureDim);
        for (long start = 0; start < n; start += CHUNK) {
            long end = Math.min(n, start + CHUNK);
            INDArray chunk = images.get(NDArrayIndex.interval(start, end), NDArrayIndex.all(), NDArrayIndex.all(),
                    NDArrayIndex.all());
            out.get(NDArrayIndex.interval(start, end), NDArrayIndex.all()).assign(forward(chunk));
        }
        return out;
    }

    /** Pool3 features [b, featureDim] of a chunk of NCHW images, as DOUBLE. */
    private INDArray forward(INDArray nchw) {
        INDArray pooled = fast != null
                ? fast.output(InceptionInput.of(nchw, inputHeight, inputWidth, false))
                : viaComputationGraph(nchw);
        return pooled.reshape(nchw.size(0), pooled.length() / nchw.size(0)).castTo(DataType.DOUBLE);
    }

    /** The features as DL4J's imported ComputationGraph computes them (the reference for the fast path). */
    INDArray viaComputationGraph(INDArray nchw) {
        return viaComputationGraph(nchw, featureVertex);
    }

    /** The activations of {@code vertex} as DL4J's imported ComputationGraph computes them. */
    INDArray viaComputationGraph(INDArray nchw, String vertex) {
        INDArray input = InceptionInput.of(nchw, inputHeight, inputWidth, channelsLast);
        return graph.output(List.of(vertex), false, new INDArray[] {input}, null)[0];
    }

    /**
     * Whether the model has InceptionV3's classifier ({@code include_top=True}): then
     * {@link #probabilities} gives the class probabilities the Inception Score needs.
     */
    boolean hasClassifier() {
        return classifierWeights != null;
    }

    /** The classifier's classes (1000 for ImageNet), 0 without it. */
    int classifierClasses() {
        return classifierWeights == null ? 0 : (int) classifierWeights.size(1);
    }

    /**
     * softmax(features·W + b) of the {@value #CLASSIFIER_LAYER} layer, from pool3 features [n, featureDim]:
     * the model's own output, computed from the features sparkgan already has (its layer has no other input).
     */
    INDArray probabilities(INDArray features) {
        INDArray logits = features.castTo(DataType.DOUBLE).mmul(classifierWeights).addiRowVector(classifierBias);
        INDArray shifted = logits.subColumnVector(logits.max(1).reshape(-1, 1)); // exp cannot overflow
        INDArray exp = Transforms.exp(shifted, false);
        return exp.diviColumnVector(exp.sum(1).reshape(-1, 1));
    }

    /** Whether features run on SameDiff's native ops rather than DL4J's layer implementations. */
    boolean usesNativeOps() {
        return fast != null;
    }
}

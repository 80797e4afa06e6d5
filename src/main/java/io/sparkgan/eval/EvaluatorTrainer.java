package io.sparkgan.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.Hashes;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import io.sparkgan.runtime.NativeSelfCheck;
import io.sparkgan.runtime.Nd4jSetup;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.evaluation.classification.Evaluation;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains the evaluator classifier for a prepared dataset with DL4J's Spark module (parameter
 * averaging over the executors), measures its accuracy on the held-out tenth, and keeps it next to
 * the shards (in the dataset generation's folder): {@code fid/evaluator.zip} and {@code evaluator.json}. A cached evaluator
 * is reused while the dataset's content hash matches, so every FID of a dataset uses one extractor.
 */
public final class EvaluatorTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(EvaluatorTrainer.class);
    private static final int BATCH = 32;
    private static final int MAX_TEST_IMAGES = 5_120;

    /** A trained evaluator on storage: where it is, its weights' hash and its held-out accuracy. */
    public record Stored(String uri, String sha256, double testAccuracy, int classes) {}

    private EvaluatorTrainer() {
    }

    static Path modelPath(String shardsLocation) {
        return modelPath(shardsLocation, -1);
    }

    /** A dataset's evaluator, or the one of its pairs' A (0) or B (1) halves: {@code fid/evaluator-B.zip}. */
    static Path modelPath(String shardsLocation, int half) {
        return new Path(Storage.qualify(shardsLocation), "fid/evaluator" + suffix(half) + ".zip");
    }

    static Path infoPath(String shardsLocation, int half) {
        return new Path(Storage.qualify(shardsLocation), "fid/evaluator" + suffix(half) + ".json");
    }

    private static String suffix(int half) {
        return half < 0 ? "" : half == 0 ? "-A" : "-B";
    }

    /** The cached evaluator for this dataset, or null when there is none (or it is for other data). */
    public static Stored cached(Storage storage, String shardsLocation, DatasetInfo info) throws IOException {
        return cached(storage, shardsLocation, info, -1);
    }

    /** As above, for one half of a dataset of pairs ({@code half} 0 or 1; −1: whole records). */
    public static Stored cached(Storage storage, String shardsLocation, DatasetInfo info, int half) throws IOException {
        Path json = infoPath(shardsLocation, half);
        Path model = modelPath(shardsLocation, half);
        if (!storage.exists(json) || !storage.exists(model)) {
            return null;
        }
        JsonNode node = Json.parse(storage.readString(json));
        if (!info.contentSha256().equals(node.path("dataset_sha256").asText())) {
            LOG.info("fid: the evaluator at {} was trained on other data; training a new one", model);
            return null;
        }
        String sha = Hashes.sha256Hex(storage.readBytes(model));
        if (!sha.equals(node.path("sha256").asText())) {
            LOG.warn("fid: {} does not match {} (an interrupted write?); training a new evaluator", model, json);
            return null;
        }
        return new Stored(model.toString(), sha, node.path("test_accuracy").asDouble(), node.path("classes").asInt());
    }

    /** The cached evaluator, or a freshly trained one when there is none. */
    public static Stored findOrTrain(JavaSparkContext sc, Storage storage, String shardsLocation, DatasetInfo info,
                                     Settings settings) throws IOException {
        return findOrTrain(sc, storage, shardsLocation, info, settings, -1);
    }

    /** As above, the evaluator of one half of a dataset of pairs ({@code half} 0: A, 1: B). */
    public static Stored findOrTrain(JavaSparkContext sc, Storage storage, String shardsLocation, DatasetInfo info,
                                     Settings settings, int half) throws IOException {
        Stored cached = cached(storage, shardsLocation, info, half);
        return cached != null ? cached : train(sc, storage, shardsLocation, info, settings, half);
    }

    /**
     * How to train: Spark workers (partitions), epochs, at most {@code maxImages} training images
     * (0 = all), ND4J threads per task, seed.
     */
    public record Settings(int workers, int epochs, long maxImages, int threads, long seed) {}

    public static Stored train(JavaSparkContext sc, Storage storage, String shardsLocation, DatasetInfo info,
                               Settings settings) throws IOException {
        return train(sc, storage, shardsLocation, info, settings, -1);
    }

    private static Stored train(JavaSparkContext sc, Storage storage, String shardsLocation, DatasetInfo info,
                                Settings settings, int half) throws IOException {
        int channels = LabelledImages.channels(info, half);
        int workers = settings.workers();
        int epochs = settings.epochs();
        long seed = settings.seed();
        long started = System.nanoTime();
        // the driver runs the network too: the held-out accuracy below, and saving it
        NativeSelfCheck.require(EvalKernelCases.evaluator(info.size(), channels, BATCH, true));
        NativeSelfCheck.require(EvalKernelCases.evaluator(info.size(), channels, 256, false));
        JavaRDD<DataSet> train = LabelledImages.minibatches(sc, storage, shardsLocation, info,
                LabelledImages.Split.TRAIN, BATCH, settings.maxImages(), settings.threads(), half); // cached by the master
        JavaRDD<DataSet> test = LabelledImages.minibatches(sc, storage, shardsLocation, info,
                LabelledImages.Split.TEST, 256, 0, settings.threads(), half);
        ParameterAveragingTrainingMaster master = trainingMaster(workers, seed);
        SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(sc,
                EvaluatorClassifier.configuration(info.size(), channels, info.classes().size(), seed), master);
        try {
            LOG.info("fid: training the evaluator classifier for {} on Spark ({} workers, {} epochs{})", info.name(),
                    workers, epochs, settings.maxImages() > 0 ? ", at most " + settings.maxImages() + " images" : "");
            for (int epoch = 1; epoch <= epochs; epoch++) {
                sc.setJobDescription("sparkgan evaluator: epoch " + epoch + "/" + epochs);
                spark.fit(train);
                LOG.info("fid: evaluator epoch {}/{} done, loss {}", epoch, epochs,
                        String.format(Locale.ROOT, "%.4f", spark.getScore()));
            }
            // Scored on the driver: DL4J M2's Spark evaluation fails on partitions without examples,
            // which small datasets have. The held-out set is a tenth of the data, capped.
            sc.setJobDescription("sparkgan evaluator: test accuracy");
            MultiLayerNetwork network = spark.getNetwork();
            List<DataSet> held = test.take(MAX_TEST_IMAGES / 256);
            Nd4jSetup.threads(Runtime.getRuntime().availableProcessors()); // no tasks run now; tasks reset it
            Evaluation evaluation = network.evaluate(new ListDataSetIterator<>(held));
            byte[] zip = EvaluatorClassifier.toBytes(network);
            String sha = Hashes.sha256Hex(zip);
            Path model = modelPath(shardsLocation, half);
            storage.writeAtomically(model, zip);
            ObjectNode json = Json.object();
            json.put("extractor", "evaluator");
            json.put("sha256", sha);
            json.put("test_accuracy", evaluation.accuracy());
            json.put("test_images", evaluation.getNumRowCounter());
            json.put("holdout", "every " + LabelledImages.HOLDOUT_EVERY + "th image of the prepared dataset");
            json.put("classes", info.classes().size());
            json.put("feature_dim", EvaluatorClassifier.FEATURES);
            json.put("epochs", epochs);
            json.put("dataset_sha256", info.contentSha256());
            json.put("train_seconds", (System.nanoTime() - started) / 1e9);
            json.put("created_at", Instant.now().toString());
            if (half >= 0) {
                json.put("pair_half", half == 0 ? "A" : "B");
            }
            storage.writeString(infoPath(shardsLocation, half), Json.pretty(json)); // last: marks the pair complete
            LOG.info("fid: evaluator trained in {} s, held-out accuracy {} on {} images; saved to {}",
                    String.format(Locale.ROOT, "%.0f", (System.nanoTime() - started) / 1e9),
                    String.format(Locale.ROOT, "%.4f", evaluation.accuracy()),
                    (long) evaluation.getNumRowCounter(), model);
            return new Stored(model.toString(), sha, evaluation.accuracy(), info.classes().size());
        } finally {
            master.deleteTempFiles(sc);
        }
    }

    /** DL4J's parameter averaging over {@code workers}: plain data parallelism for a small classifier. */
    private static ParameterAveragingTrainingMaster trainingMaster(int workers, long seed) {
        return new ParameterAveragingTrainingMaster.Builder(workers, BATCH)
                .batchSizePerWorker(BATCH)
                .averagingFrequency(10) // each averaging is a Spark stage: fewer, longer stages
                .workerPrefetchNumBatches(0)
                .rddTrainingApproach(RDDTrainingApproach.Direct)
                .rngSeed(seed)
                .build();
    }
}

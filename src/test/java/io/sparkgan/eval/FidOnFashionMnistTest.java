package io.sparkgan.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.Preparer;
import io.sparkgan.io.Storage;
import io.sparkgan.model.networks.GanNetwork;
import io.sparkgan.train.TrainingJob;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * FID with the evaluator on real Fashion-MNIST (Debian's dataset-fashion-mnist): the scores order
 * real, trained and untrained images as they must, and repeat exactly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FidOnFashionMnistTest {
    static final int N = 2000;

    @TempDir
    static Path tmp;
    JavaSparkContext sc;
    Storage storage;
    SparkganConfig config;
    DatasetInfo train;
    ExtractorSpec spec;
    DistributedFeatures.Job job;
    FeatureSummary trainStats;
    FeatureSummary testStats;

    @BeforeAll
    void prepareAndTrainEvaluator() throws Exception {
        sc = TestSpark.context();
        storage = new Storage(sc.hadoopConfiguration());
        config = config("train", 6000, "train-shards");
        train = Preparer.prepare(sc, config.data(), storage).info();
        SparkganConfig testConfig = config("test", 2000, "test-shards");
        DatasetInfo test = Preparer.prepare(sc, testConfig.data(), storage).info();

        EvaluatorTrainer.Stored evaluator = EvaluatorTrainer.train(sc, storage, config.data().shards(), train,
                new EvaluatorTrainer.Settings(4, 2, 0, 1, 7));
        assertTrue(evaluator.testAccuracy() > 0.7, "held-out accuracy " + evaluator.testAccuracy());
        spec = new ExtractorSpec("evaluator", evaluator.uri(), evaluator.sha256());
        job = new DistributedFeatures.Job(spec, EvaluatorClassifier.FEATURES, 10, 250, 500, 1);
        trainStats = DistributedFeatures.ofDataset(sc, storage, job, config.data().shards(), train, N);
        testStats = DistributedFeatures.ofDataset(sc, storage, job, testConfig.data().shards(), test, N);
    }

    private SparkganConfig config(String split, int limit, String shards) {
        return ConfigLoader.load((Path) null, List.of(
                "data.split=" + split, "data.limit=" + limit, "data.shards=" + tmp.resolve(shards),
                "data.shard-size=788000", "output.dir=" + tmp.resolve("runs"), "run.id=fid",
                "model.g-features=16", "model.d-features=16", "train.workers=4", "train.batch-per-worker=16",
                "train.steps=160", "train.log-every=20", "train.sample-every=1000", "train.checkpoint-every=1000",
                "fid.samples=" + N));
    }

    private static double fid(FeatureSummary a, FeatureSummary b) {
        return FrechetDistance.of(a.stats.mean(), a.stats.covariance(), b.stats.mean(), b.stats.covariance(),
                a.stats.dimension());
    }

    @Test
    void realSplitsAreCloseAndNoiseIsFar() {
        assertEquals(N, trainStats.stats.count());
        assertEquals(N, testStats.stats.count());
        FeatureSummary noise = new FeatureSummary(EvaluatorClassifier.FEATURES, 10);
        EvaluatorClassifier evaluator = (EvaluatorClassifier) Extractors.open(spec, storage);
        Random random = new Random(3);
        for (int b = 0; b < 8; b++) {
            float[] pixels = new float[250 * 784];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = random.nextFloat() * 2 - 1;
            }
            INDArray images = Nd4j.create(pixels, new long[] {250, 1, 28, 28}, 'c').castTo(DataType.FLOAT);
            noise.stats.add(evaluator.features(images));
        }
        double real = fid(trainStats, testStats);
        double far = fid(testStats, noise);
        System.out.printf("FID(train, test) = %.3f, FID(test, noise) = %.3f%n", real, far);
        assertTrue(real < 0.05 * far, "FID(train, test) " + real + " vs FID(test, noise) " + far);
    }

    /** The real statistics are read by image range, not by shard: the shard size cannot change them. */
    @Test
    void realStatisticsDoNotDependOnTheShardSize() throws Exception {
        SparkganConfig bigShards = ConfigLoader.load((Path) null, List.of("data.split=test", "data.limit=2000",
                "data.shards=" + tmp.resolve("test-big-shards"), "data.shard-size=16M"));
        DatasetInfo test = Preparer.prepare(sc, bigShards.data(), storage).info();
        assertEquals(1, test.shards().size());
        FeatureSummary again = DistributedFeatures.ofDataset(sc, storage, job, bigShards.data().shards(), test, N);
        assertArrayEquals(testStats.stats.mean(), again.stats.mean());
        assertArrayEquals(testStats.stats.covariance(), again.stats.covariance());
    }

    @Test
    void trainedGeneratorBeatsItsStepZeroSelfAndScoresRepeat() throws Exception {
        TrainingJob.Result result = TrainingJob.run(config, sc, storage);
        float[] initial = GanNetwork.of(config.architecture()).generatorLayout().initialise(
                io.sparkgan.model.Noise.seed(config.train().seed(), 'G'));
        FeatureSummary before = DistributedFeatures.ofGenerator(sc, storage, job, config.architecture(), initial, 11, N, 4);
        FeatureSummary after = DistributedFeatures.ofGenerator(sc, storage, job, config.architecture(),
                result.generator(), 11, N, 4);
        FeatureSummary again = DistributedFeatures.ofGenerator(sc, storage, job, config.architecture(),
                result.generator(), 11, N, 4);
        double fidBefore = fid(before, trainStats);
        double fidAfter = fid(after, trainStats);
        System.out.printf("FID step 0 = %.3f, FID step %d = %.3f%n", fidBefore, result.steps(), fidAfter);
        assertTrue(fidAfter < 0.85 * fidBefore, "trained " + fidAfter + " vs step 0 " + fidBefore);
        assertEquals(fidAfter, fid(again, trainStats), 1e-9, "same seed and N give the same FID");
    }
}

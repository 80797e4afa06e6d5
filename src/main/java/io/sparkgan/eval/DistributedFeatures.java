package io.sparkgan.eval;

import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.Shards;
import io.sparkgan.io.Storage;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import io.sparkgan.model.GanReplica;
import io.sparkgan.model.KernelCase;
import io.sparkgan.model.Noise;
import io.sparkgan.runtime.GpuBinding;
import io.sparkgan.runtime.NativeSelfCheck;
import io.sparkgan.runtime.Nd4jSetup;
import io.sparkgan.runtime.ReplicaCache;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import scala.Tuple2;

/**
 * Feature statistics of many images, computed on the executors (for a conditional G, with each image's
 * intended class, and how often the evaluator agrees): each partition generates (or reads)
 * its share of the images, extracts features batch by batch and folds them into a
 * {@link FeatureSummary}; the partitions' summaries are combined in double precision in a fixed
 * tree (see {@link #aggregate}). Only statistics and a bounded number of KID rows reach the driver, never images.
 */
final class DistributedFeatures {
    /** Real images one task reads for the dataset's statistics. */
    private static final long IMAGES_PER_TASK = 10_000;

    /**
     * Settings every task needs.
     *
     * @param classes the evaluator's classes (0 for other extractors)
     * @param perClass classes to keep statistics of separately for intra-class FID (0: none)
     * @param probabilityClasses classes of the probabilities the Inception Score is computed on: the
     *     evaluator's, or InceptionV3's classifier when the model has it; 0 for no IS
     * @param kernels the native kernels every task's JVM checks before its first task ({@link NativeSelfCheck})
     */
    record Job(ExtractorSpec extractor, int dimension, int classes, int batch, int kidRows, int threads,
               int perClass, int probabilityClasses, List<KernelCase> kernels) implements Serializable {

        Job(ExtractorSpec extractor, int dimension, int classes, int batch, int kidRows, int threads) {
            this(extractor, dimension, classes, batch, kidRows, threads, 0, classes, List.of());
        }

        FeatureSummary summary(InceptionScore.Sums inceptionScore) {
            FeatureSummary summary = new FeatureSummary(dimension, classes, inceptionScore);
            return perClass > 0 ? summary.withClassStatistics(perClass, dimension) : summary;
        }
    }

    private DistributedFeatures() {
    }

    /**
     * Features of {@code samples} images from a generator. Image i is generated from the noise slot i
     * of the FID stream for {@code seed}, so the same seed and count give the same images.
     */
    static FeatureSummary ofGenerator(JavaSparkContext sc, Storage storage, Job job, GanArchitecture architecture,
                                      float[] generator, long seed, int samples, int partitions) {
        Broadcast<float[]> params = sc.broadcast(generator);
        Broadcast<Storage> sharedStorage = sc.broadcast(storage);
        try {
            JavaRDD<FeatureSummary> parts = sc.parallelize(IntStream.range(0, partitions).boxed().toList(), partitions)
                    .map(p -> {
                        Nd4jSetup.threads(job.threads());
                        GpuBinding.bindCurrentTask();
                        NativeSelfCheck.require(job.kernels());
                        GanReplica replica = ReplicaCache.get(architecture, GanLoss.NON_SATURATING, 1.0);
                        replica.setGenerator(params.value());
                        FeatureExtractor extractor = Extractors.open(job.extractor(), sharedStorage.value());
                        FeatureSummary summary = job.summary(job.probabilityClasses() > 0
                                ? new InceptionScore.Sums(samples, job.probabilityClasses()) : null);
                        long from = (long) p * samples / partitions;
                        long to = (long) (p + 1) * samples / partitions;
                        for (long[] range : evenBatches(from, to, job.batch())) {
                            int n = (int) (range[1] - range[0]);
                            float[] z = Noise.fid(seed, range[0], n,
                                    architecture.latentDim());
                            int[] intended = intendedClasses(architecture, range[0], n);
                            INDArray images = replica.generate(Nd4j.create(z, new long[] {n, architecture.latentDim()},
                                    DataType.FLOAT), intended);
                            add(summary, extractor, images, p, job.kidRows(), range[0], intended, intended);
                        }
                        return summary;
                    });
            return aggregate(parts, job);
        } finally {
            params.destroy(false);
            sharedStorage.destroy(false);
        }
    }

    /**
     * The classes a conditional G generates for FID: sample i is of class i mod K, so every class gets
     * its share whatever the partitioning; null for an unconditional G.
     */
    static int[] intendedClasses(GanArchitecture architecture, long first, int n) {
        if (!architecture.conditional()) {
            return null;
        }
        int[] classes = new int[n];
        for (int i = 0; i < n; i++) {
            classes[i] = (int) ((first + i) % architecture.classes());
        }
        return classes;
    }

    /**
     * Features of {@code samples} images of a prepared dataset, spread evenly over it (image
     * ⌊j·count/samples⌋ for j &lt; samples), so class-sorted datasets are sampled fairly. Reads the
     * shards on the executors. Uses the whole dataset when it has fewer images.
     */
    static FeatureSummary ofDataset(JavaSparkContext sc, Storage storage, Job job, String shardsLocation,
                                    DatasetInfo info, int samples) {
        long total = info.count();
        long n = Math.min(samples, total);
        String dir = Storage.qualify(shardsLocation).toString();
        Broadcast<Storage> sharedStorage = sc.broadcast(storage);
        Broadcast<DatasetInfo> sharedInfo = sc.broadcast(info);
        // Tasks by image range, not by shard: as many whatever data.shard-size is, so the figures
        // (KID's subsets are drawn per task) do not depend on it either.
        int parts = (int) Math.max(1, ceilDiv(total, IMAGES_PER_TASK));
        try {
            JavaRDD<FeatureSummary> summaries = sc.parallelize(IntStream.range(0, parts).boxed().toList(), parts)
                    .map(s -> {
                        Nd4jSetup.threads(job.threads());
                        GpuBinding.bindCurrentTask();
                        NativeSelfCheck.require(job.kernels());
                        DatasetInfo d = sharedInfo.value();
                        FeatureExtractor extractor = Extractors.open(job.extractor(), sharedStorage.value());
                        long first = s * total / parts;
                        long count = (s + 1) * total / parts - first;
                        // j is chosen when ⌊j·total/n⌋ falls in [first, first + count)
                        long jFrom = ceilDiv(first * n, total);
                        long jTo = ceilDiv((first + count) * n, total);
                        FeatureSummary summary = job.summary(null);
                        if (jFrom >= jTo) {
                            return summary;
                        }
                        Shards.Content read = Shards.readRange(sharedStorage.value(), new Path(dir), d, first,
                                first + count);
                        byte[] content = read.images();
                        int pixels = d.channels() * d.size() * d.size();
                        for (long[] range : evenBatches(jFrom, jTo, job.batch())) {
                            int m = (int) (range[1] - range[0]);
                            float[] x = new float[m * pixels];
                            int[] labels = new int[m];
                            for (int i = 0; i < m; i++) {
                                int local = (int) ((range[0] + i) * total / n - first);
                                labels[i] = read.labels()[local];
                                for (int p = 0; p < pixels; p++) {
                                    x[i * pixels + p] = (content[local * pixels + p] & 0xff) / 127.5f - 1f;
                                }
                            }
                            INDArray images = Nd4j.create(x, new long[] {m, d.channels(), d.size(), d.size()}, 'c');
                            add(summary, extractor, images, s, job.kidRows(), range[0], null, labels);
                        }
                        return summary;
                    });
            return aggregate(summaries, job);
        } finally {
            sharedStorage.destroy(false);
            sharedInfo.destroy(false);
        }
    }

    /**
     * Merges the partitions' summaries in a fixed binary tree: partitions 2k and 2k+1 first, then
     * their results pairwise, and so on, always the lower position on the left. Spark's
     * treeAggregate merges in whatever order tasks finish, and floating-point merging is not
     * associative, so the same seed could give FIDs differing in the 9th digit; this shape gives the
     * same bits every time, at the cost of log2(partitions) small shuffle stages.
     */
    private static FeatureSummary aggregate(JavaRDD<FeatureSummary> parts, Job job) {
        JavaPairRDD<Long, FeatureSummary> level = parts.mapPartitionsWithIndex((index, it) -> {
            List<Tuple2<Long, FeatureSummary>> out = new ArrayList<>();
            it.forEachRemaining(s -> out.add(new Tuple2<>((long) index, s)));
            return out.iterator();
        }, true).mapToPair(t -> t);
        long width = parts.getNumPartitions();
        while (width > 1) {
            width = (width + 1) / 2;
            level = level.mapToPair(t -> new Tuple2<>(t._1() / 2, new Tuple2<>(t._1(), t._2())))
                    .reduceByKey((a, b) -> a._1() < b._1()
                            ? new Tuple2<>(a._1(), a._2().merge(b._2()))
                            : new Tuple2<>(b._1(), b._2().merge(a._2())), (int) Math.max(1, width / 2))
                    .mapToPair(t -> new Tuple2<>(t._1(), t._2()._2()));
        }
        List<FeatureSummary> result = level.values().collect();
        return result.isEmpty() ? new FeatureSummary(job.dimension(), job.classes()) : result.get(0);
    }

    /**
     * Folds a batch of images, the first of which is sample {@code firstIndex} of the set, into
     * {@code summary}; {@code intended} holds a conditional G's classes for them (else null), {@code classes}
     * the classes whose statistics they join when the summary keeps them per class.
     */
    private static void add(FeatureSummary summary, FeatureExtractor extractor, INDArray images, int partition,
                            int kidRowsPerPartition, long firstIndex, int[] intended, int[] classes) {
        INDArray features;
        if (extractor instanceof EvaluatorClassifier evaluator) {
            EvaluatorClassifier.Output out = evaluator.featuresAndClasses(images);
            features = out.features();
            for (int c : out.classes()) {
                summary.classCounts[c]++;
            }
            if (intended != null) {
                summary.countClassMatches(intended, out.classes());
            }
            if (summary.inceptionScore != null) {
                addProbabilities(summary, out.probabilities(), firstIndex);
            }
        } else {
            features = extractor.features(images);
            if (summary.inceptionScore != null && extractor instanceof InceptionExtractor inception
                    && inception.hasClassifier()) {
                addProbabilities(summary, inception.probabilities(features), firstIndex);
            }
        }
        summary.stats.add(features);
        if (summary.perClass != null && classes != null) {
            summary.addPerClass(features, classes);
        }
        double[][] kept = summary.kidRows.getOrDefault(partition, new double[0][]);
        int room = kidRowsPerPartition - kept.length;
        if (room > 0) {
            int take = (int) Math.min(room, features.rows());
            double[][] rows = Arrays.copyOf(kept, kept.length + take);
            for (int i = 0; i < take; i++) {
                rows[kept.length + i] = features.getRow(i).toDoubleVector();
            }
            summary.kidRows.put(partition, rows);
        }
    }

    private static void addProbabilities(FeatureSummary summary, INDArray probabilities, long firstIndex) {
        double[][] rows = probabilities.toDoubleMatrix();
        for (int i = 0; i < rows.length; i++) {
            summary.inceptionScore.add(firstIndex + i, rows[i]);
        }
    }

    /**
     * Splits [from, to) into batches of at most {@code batch}, as equal as possible: the generator's
     * batch norm uses batch statistics, so a last batch of 3 images would be generated unlike the rest.
     */
    static List<long[]> evenBatches(long from, long to, int batch) {
        long count = to - from;
        if (count <= 0) {
            return List.of();
        }
        long batches = ceilDiv(count, batch);
        return LongStream.range(0, batches)
                .mapToObj(b -> new long[] {from + b * count / batches, from + (b + 1) * count / batches})
                .toList();
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

}

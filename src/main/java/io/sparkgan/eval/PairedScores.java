package io.sparkgan.eval;

import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.Shards;
import io.sparkgan.io.Storage;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import io.sparkgan.model.GanReplica;
import io.sparkgan.model.KernelCase;
import io.sparkgan.runtime.GpuBinding;
import io.sparkgan.runtime.NativeSelfCheck;
import io.sparkgan.runtime.Nd4jSetup;
import io.sparkgan.runtime.ReplicaCache;
import io.sparkgan.train.TranslationGrid;
import java.io.Serializable;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A generator's outputs for every pair of a held-out split, scored against their targets on the
 * executors ({@link PairedMetrics}; with a feature extractor, the features of outputs and targets for
 * their FID; with the evaluator of the target side, also its classes of the outputs against the pairs'
 * labels): each task maps its
 * range of pairs, a batch at a time, with the dropout of pair i drawn from (seed, i) as {@code
 * translate} draws it, and returns its sums. Only sums reach the driver, which adds them in task order,
 * so the figures do not depend on the executors.
 */
final class PairedScores {
    /** Pairs one task maps. */
    private static final long PAIRS_PER_TASK = 2_000;

    /**
     * What the tasks add up: per-pair metric sums; with an extractor, the feature statistics of the
     * outputs and of the targets; with the evaluator's classes, how often its class for an output is
     * the pair's label.
     */
    static final class Sums implements Serializable {
        long pairs;
        double l1;
        double psnr;
        double ssim;
        final FeatureStats outputs;
        final FeatureStats targets;
        long labelled;
        long correct;

        Sums(int featureDim) {
            outputs = featureDim > 0 ? new FeatureStats(featureDim) : null;
            targets = featureDim > 0 ? new FeatureStats(featureDim) : null;
        }

        void add(Sums o) {
            pairs += o.pairs;
            l1 += o.l1;
            psnr += o.psnr;
            ssim += o.ssim;
            labelled += o.labelled;
            correct += o.correct;
            if (outputs != null) {
                outputs.merge(o.outputs);
                targets.merge(o.targets);
            }
        }

        /** FID of the outputs' features against the targets'; NaN without an extractor. */
        double fid() {
            return outputs == null || pairs < 2 ? Double.NaN
                    : FrechetDistance.of(outputs.toFidStats(), targets.toFidStats());
        }

        /** How often the evaluator's class for an output is its pair's label; NaN without labels. */
        double accuracy() {
            return labelled == 0 ? Double.NaN : (double) correct / labelled;
        }
    }

    /**
     * Settings every task needs.
     *
     * @param swapped the pairs are read B first (data.direction = BtoA)
     * @param extractor the features the FID compares (the evaluator of the target side or InceptionV3),
     *     null for none
     * @param featureDim the extractor's feature length (0 without one)
     * @param classify the extractor is the evaluator and its classes are the held-out pairs' labels: score
     *     its class for each output against the pair's label
     */
    record Job(GanArchitecture architecture, long seed, boolean swapped, int batch, int threads,
               List<KernelCase> kernels, ExtractorSpec extractor, int featureDim, boolean classify)
            implements Serializable {}

    private PairedScores() {
    }

    static Sums of(JavaSparkContext sc, Storage storage, Job job, float[] generator, String heldOutDir,
                   DatasetInfo heldOut) {
        Broadcast<float[]> params = sc.broadcast(generator);
        Broadcast<Storage> sharedStorage = sc.broadcast(storage);
        long total = heldOut.count();
        int tasks = (int) Math.max(1, (total + PAIRS_PER_TASK - 1) / PAIRS_PER_TASK);
        try {
            List<Sums> parts = sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks)
                    .map(t -> score(job, params.value(), sharedStorage.value(), heldOutDir, heldOut,
                            t * total / tasks, (t + 1) * total / tasks))
                    .collect();
            Sums all = new Sums(job.featureDim());
            parts.forEach(all::add); // in task order: the same sums on any executors
            return all;
        } finally {
            params.destroy(false);
            sharedStorage.destroy(false);
        }
    }

    /** 8-bit images as the networks take them: floats in [-1, 1]. */
    private static INDArray images(byte[] pixels, long[] shape) {
        float[] x = new float[pixels.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = (pixels[i] & 0xff) / 127.5f - 1f;
        }
        return Nd4j.create(x, shape, 'c');
    }

    /** Pairs [from, to) of the held-out split, on an executor. */
    private static Sums score(Job job, float[] generator, Storage storage, String dir, DatasetInfo info, long from,
                              long to) throws java.io.IOException {
        Nd4jSetup.threads(job.threads());
        GpuBinding.bindCurrentTask();
        NativeSelfCheck.require(job.kernels());
        GanArchitecture a = job.architecture();
        GanReplica replica = ReplicaCache.get(a, GanLoss.NON_SATURATING, 1.0);
        replica.setGenerator(generator);
        int pixels = 2 * a.pixelsPerImage();
        int half = a.pixelsPerImage();
        Sums sums = new Sums(job.featureDim());
        FeatureExtractor extractor = job.extractor() == null ? null : Extractors.open(job.extractor(), storage);
        for (long first = from; first < to; first += job.batch()) {
            int n = (int) Math.min(job.batch(), to - first);
            Shards.Content content = Shards.readRange(storage, new Path(dir), info, first, first + n);
            byte[] stored = content.images();
            float[] pairs = TranslationGrid.normalised(stored, n, pixels, job.swapped());
            INDArray inputs = Nd4j.create(pairs, new long[] {n, 2L * a.channels(), a.imageSize(), a.imageSize()}, 'c')
                    .get(NDArrayIndex.all(), NDArrayIndex.interval(0, a.channels())).dup('c');
            byte[] outputs = PairedMetrics.quantised(replica.generate(inputs, null,
                    TranslationGrid.inference(job.seed(), first)).castTo(DataType.FLOAT).data().asFloat());
            byte[] targets = new byte[n * half];
            for (int i = 0; i < n; i++) {
                System.arraycopy(stored, i * pixels + (job.swapped() ? 0 : half), targets, i * half, half);
            }
            for (int i = 0; i < n; i++) {
                sums.pairs++;
                sums.l1 += PairedMetrics.l1(outputs, targets, i * half, half);
                sums.psnr += PairedMetrics.psnr(outputs, targets, i * half, half);
                sums.ssim += PairedMetrics.ssim(outputs, targets, i * half, a.channels(), a.imageSize());
            }
            if (extractor != null) { // the 8-bit outputs, as written, against the targets
                long[] shape = {n, a.channels(), a.imageSize(), a.imageSize()};
                if (job.classify()) {
                    EvaluatorClassifier.Output out = ((EvaluatorClassifier) extractor)
                            .featuresAndClasses(images(outputs, shape));
                    sums.outputs.add(out.features());
                    for (int i = 0; i < n; i++) {
                        if (content.labels()[i] >= 0) {
                            sums.labelled++;
                            sums.correct += out.classes()[i] == content.labels()[i] ? 1 : 0;
                        }
                    }
                } else {
                    sums.outputs.add(extractor.features(images(outputs, shape)));
                }
                sums.targets.add(extractor.features(images(targets, shape)));
            }
        }
        return sums;
    }
}

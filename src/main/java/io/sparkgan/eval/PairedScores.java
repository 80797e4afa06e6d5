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
 * executors ({@link PairedMetrics}): each task maps its range of pairs, a batch at a time, with the
 * dropout of pair i drawn from (seed, i) as {@code translate} draws it, and returns its sums. Only sums
 * reach the driver, which adds them in task order, so the figures do not depend on the executors.
 */
final class PairedScores {
    /** Pairs one task maps. */
    private static final long PAIRS_PER_TASK = 2_000;

    /** Sums over pairs of each per-pair metric. */
    record Sums(long pairs, double l1, double psnr, double ssim) implements Serializable {
        static final Sums NONE = new Sums(0, 0, 0, 0);

        Sums plus(Sums o) {
            return new Sums(pairs + o.pairs, l1 + o.l1, psnr + o.psnr, ssim + o.ssim);
        }
    }

    /**
     * Settings every task needs.
     *
     * @param swapped the pairs are read B first (data.direction = BtoA)
     */
    record Job(GanArchitecture architecture, long seed, boolean swapped, int batch, int threads,
               List<KernelCase> kernels) implements Serializable {}

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
            Sums all = Sums.NONE;
            for (Sums part : parts) {
                all = all.plus(part);
            }
            return all;
        } finally {
            params.destroy(false);
            sharedStorage.destroy(false);
        }
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
        Sums sums = Sums.NONE;
        for (long first = from; first < to; first += job.batch()) {
            int n = (int) Math.min(job.batch(), to - first);
            byte[] stored = Shards.readImages(storage, new Path(dir), info, first, first + n);
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
                sums = sums.plus(new Sums(1, PairedMetrics.l1(outputs, targets, i * half, half),
                        PairedMetrics.psnr(outputs, targets, i * half, half),
                        PairedMetrics.ssim(outputs, targets, i * half, a.channels(), a.imageSize())));
            }
        }
        return sums;
    }
}

package io.sparkgan.eval;

import io.sparkgan.config.FidConfig;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.PreparedDataset;
import io.sparkgan.io.Storage;
import io.sparkgan.runtime.ExecutorThreads;
import io.sparkgan.runtime.NativeSelfCheck;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FID statistics (mean and covariance of the features, pytorch-fid's .npz layout) of any set of
 * images, on the extractor a run is scored with: what {@code fid --images SOURCE --save-stats OUT}
 * writes, so that samples made by another tool (a PyTorch DCGAN's PNGs) and a held-out split score on
 * the same features as sparkgan's own checkpoints; {@code fid --stats A --stats B} compares two files.
 * The images come prepared ({@code data.Preparer}: decoded, converted and resized as training data),
 * and all of them are used.
 */
public final class ImageStatistics {
    private static final Logger LOG = LoggerFactory.getLogger(ImageStatistics.class);

    private ImageStatistics() {
    }

    /** What was written: where, from how many images, on which extractor. */
    public record Saved(String uri, long count, int dimension, String extractor, String extractorSha256) {}

    /**
     * Writes the statistics of {@code images} to {@code out}.
     *
     * @param training the dataset whose evaluator is the extractor (fid.extractor = evaluator); null for
     *     InceptionV3
     */
    public static Saved save(JavaSparkContext sc, Storage storage, SparkganConfig config, PreparedDataset training,
                             PreparedDataset images, Path out) throws IOException {
        FidConfig fid = config.fid();
        FidReport.Extractor extractor = FidStage.resolveExtractor(sc, storage, config, training);
        int threads = ExecutorThreads.forTasks(sc, config.train().executorThreads());
        var kernels = EvalKernelCases.fid(config.architecture(), fid, extractor.featureDim(),
                extractor.spec().name().equals("evaluator"));
        NativeSelfCheck.require(kernels);
        int count = Math.toIntExact(images.info().count());
        LOG.info("fid: features of {} images of {} on the {} extractor", count, images.info().source(),
                extractor.spec().name());
        FeatureSummary summary = DistributedFeatures.ofDataset(sc, storage, new DistributedFeatures.Job(
                extractor.spec(), extractor.featureDim(), extractor.classes(), fid.batch(), 0, threads, 0, 0, kernels),
                images.dir(), images.info(), count);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        FidStatsFile.write(bytes, summary.stats.mean(), summary.stats.covariance(), summary.stats.dimension());
        storage.writeAtomically(out, bytes.toByteArray());
        return new Saved(out.toString(), summary.stats.count(), summary.stats.dimension(), extractor.spec().name(),
                extractor.spec().sha256());
    }
}

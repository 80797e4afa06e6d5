package io.sparkgan.eval;

import io.sparkgan.config.DataConfig;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.PreparedDataset;
import io.sparkgan.data.Shards;
import io.sparkgan.io.DirectoryLease;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import io.sparkgan.model.GanReplica;
import io.sparkgan.model.KernelCase;
import io.sparkgan.model.networks.NetworkKernels;
import io.sparkgan.runtime.ExecutorThreads;
import io.sparkgan.runtime.NativeSelfCheck;
import io.sparkgan.train.Checkpoint;
import io.sparkgan.train.TranslationGrid;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FID stage of a translation run (pix2pix): each checkpoint's generator maps every input of the
 * dataset's held-out split ({@link PreparedDataset#HELD_OUT}) on the executors, and its outputs are
 * scored against their targets ({@link PairedScores}; the FID on the evaluator of the target side,
 * trained on the training pairs' targets, or on InceptionV3; the evaluator's class accuracy on labelled
 * data); the report has a row per checkpoint and a grid
 * of input | output | target. A dataset without a held-out split is scored on its training pairs,
 * with a warning, and the report says so.
 */
final class TranslationStage {
    private static final Logger LOG = LoggerFactory.getLogger(TranslationStage.class);

    private TranslationStage() {
    }

    /** The features the FID of the outputs uses, null for none; whether the evaluator's classes score them. */
    private record Features(ExtractorSpec spec, int dim, boolean classify, double evaluatorAccuracy) {}

    /**
     * Scores {@code steps} and writes the report; rows that a report already in the run scores with the
     * same held-out pairs, direction, seed and features are reused unless {@code rescore}.
     *
     * @return the report written, or null when every checkpoint asked for was scored already
     */
    static TranslationReport score(JavaSparkContext sc, Storage storage, SparkganConfig config,
                                   PreparedDataset dataset, RunDirectory run, List<Long> steps, boolean rescore,
                                   DirectoryLease lease) throws IOException {
        Path heldFile = new Path(new Path(dataset.dir(), PreparedDataset.HELD_OUT), DatasetInfo.FILE);
        boolean held = storage.exists(heldFile);
        DatasetInfo heldOut = held ? DatasetInfo.fromJson(storage.readString(heldFile)) : dataset.info();
        String heldDir = held ? heldFile.getParent().toString() : dataset.dir();
        String split = held ? heldOut.settings().getOrDefault("data.split", PreparedDataset.HELD_OUT)
                : "none: the training pairs";
        if (!held) {
            LOG.warn("fid: {} has no held-out split (its source has no test/ or val/ folder); scoring {}'s outputs on"
                    + " the pairs it trained on", dataset.describe(), run.root());
        }
        GanArchitecture a = config.architecture(0);
        int batch = config.fid().batch();
        boolean swapped = config.data().direction() == DataConfig.Direction.B_TO_A;
        Features features = features(sc, storage, config, dataset, heldOut, swapped);
        List<KernelCase> kernels = new ArrayList<>(NetworkKernels.generator(a, batch));
        if (features.classify()) {
            kernels.addAll(EvalKernelCases.evaluator(a.imageSize(), a.channels(), batch, false));
        }
        if (features.spec() != null) { // FeatureStats: Xcᵀ Xc
            kernels.add(KernelCase.gemm(DataType.DOUBLE, features.dim(), batch, features.dim(), true, false));
        }
        NativeSelfCheck.require(kernels);
        PairedScores.Job job = new PairedScores.Job(a, config.train().seed(), swapped, batch,
                ExecutorThreads.forTasks(sc, config.train().executorThreads()), List.copyOf(kernels), features.spec(),
                features.dim(), features.classify());
        TranslationReport base = new TranslationReport(config.runId(), run.root().toString(), dataset.info().name(),
                dataset.info().contentSha256(), split, heldOut.count(), config.data().direction().key(),
                config.train().seed(), features.spec(), features.evaluatorAccuracy(), List.of(), null,
                Instant.now().toString());
        Map<String, TranslationReport.Row> earlier = rescore ? Map.of() : base.reusableRows(storage, run.fid());
        Set<String> wanted = new TreeSet<>();
        for (long step : earlier.isEmpty() ? List.<Long>of() : steps) { // kinds only: one G's weights held at a time
            Checkpoint.generatorParams(storage, run.checkpoint(step), true)
                    .forEach(g -> wanted.add(step + " " + g.kind()));
        }
        if (!earlier.isEmpty() && earlier.keySet().equals(wanted)) {
            LOG.info("fid: {} already scores checkpoints {} on the same held-out pairs with the same seed and features;"
                    + " nothing to do (--rescore scores them again)", new Path(run.fid(), "report.json"), steps);
            return null;
        }
        int gridRows = (int) Math.min(heldOut.count(), Math.max(1, config.train().sampleCount() / 2));
        float[] gridPairs = TranslationGrid.normalised(Shards.readImages(storage, new Path(heldDir), heldOut, 0,
                gridRows), gridRows, heldOut.channels() * heldOut.size() * heldOut.size(), swapped);
        GanReplica replica = new GanReplica(a, GanLoss.NON_SATURATING, 1.0, DataType.FLOAT);
        List<TranslationReport.Row> rows = new ArrayList<>();
        TranslationReport report = null;
        for (int i = 0; i < steps.size(); i++) {
            long step = steps.get(i);
            for (Checkpoint.GeneratorParams g : Checkpoint.generatorParams(storage, run.checkpoint(step), true)) {
                long started = System.nanoTime();
                TranslationReport.Row row = earlier.get(step + " " + g.kind());
                if (row == null) {
                    sc.setJobDescription("sparkgan fid: translating " + heldOut.count() + " held-out pairs, checkpoint "
                            + RunDirectory.stepName(step) + " (" + (i + 1) + "/" + steps.size() + ")");
                    PairedScores.Sums sums = PairedScores.of(sc, storage, job, g.params(), heldDir, heldOut);
                    row = TranslationReport.Row.of(step, g.kind(), sums, (System.nanoTime() - started) / 1e9);
                }
                rows.add(row);
                report = new TranslationReport(base.runId(), base.runDirectory(), base.dataset(), base.datasetSha256(),
                        split, heldOut.count(), base.direction(), base.seed(), features.spec(),
                        features.evaluatorAccuracy(), List.copyOf(rows), TranslationGrid.png(replica, g.params(),
                        gridPairs, config.train().seed(), config.runId(), step), Instant.now().toString());
                report.write(storage, run.fid(), lease);
                LOG.info("fid: {} {} ({}/{}): L1 {} PSNR {} dB SSIM {}{}{} on {} held-out pairs{}",
                        RunDirectory.stepName(step), g.kind(), i + 1, steps.size(), FidStage.fmt4(row.l1()),
                        FidStage.fmt(row.psnr()), FidStage.fmt4(row.ssim()),
                        Double.isNaN(row.fid()) ? "" : " FID " + FidStage.fmt(row.fid()),
                        Double.isNaN(row.accuracy()) ? "" : " accuracy " + FidStage.fmt4(row.accuracy()), row.pairs(),
                        earlier.containsKey(row.key()) ? ": scored before with the same settings, reused"
                                : " in " + FidStage.fmt(row.seconds()) + " s");
            }
        }
        return report;
    }

    /**
     * What scores the outputs' FID: InceptionV3 with fid.extractor = inception; else the evaluator
     * classifier of the target half of the training pairs (trained once per dataset and kept beside
     * it), which also scores their classes when the held-out split has the training split's classes.
     * An unlabelled dataset has no evaluator: then no FID, unless InceptionV3 is configured.
     */
    private static Features features(JavaSparkContext sc, Storage storage, SparkganConfig config,
                                     PreparedDataset dataset, DatasetInfo heldOut, boolean swapped)
            throws IOException {
        if (config.fid().extractor().equals("inception")) {
            FidReport.Extractor inception = FidStage.resolveExtractor(sc, storage, config, dataset);
            return new Features(inception.spec(), inception.featureDim(), false, Double.NaN);
        }
        List<String> classes = dataset.info().classes();
        if (classes.size() < 2) {
            LOG.info("fid: no FID or accuracy for the outputs: {} has no labels to train the evaluator classifier on"
                    + " (fid.extractor = inception with fid.inception-weights gives the FID)", dataset.describe());
            return new Features(null, 0, false, Double.NaN);
        }
        EvaluatorTrainer.Stored evaluator = EvaluatorTrainer.findOrTrain(sc, storage, dataset.dir(), dataset.info(),
                FidStage.evaluatorSettings(sc, config), swapped ? 0 : 1);
        boolean sameClasses = heldOut.classes().equals(classes);
        if (!sameClasses) {
            LOG.warn("fid: the held-out split's classes {} are not the training split's {}, whose numbers the"
                    + " evaluator classifier gives: no accuracy, only the FID", heldOut.classes(), classes);
        }
        return new Features(new ExtractorSpec("evaluator", evaluator.uri(), evaluator.sha256()),
                EvaluatorClassifier.FEATURES, sameClasses, evaluator.testAccuracy());
    }
}

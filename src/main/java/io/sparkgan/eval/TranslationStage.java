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
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FID stage of a translation run (pix2pix): each checkpoint's generator maps every input of the
 * dataset's held-out split ({@link PreparedDataset#HELD_OUT}) on the executors, and its outputs are
 * scored against their targets ({@link PairedScores}; FID and the class accuracy with the evaluator of
 * the target side, trained on the training pairs' targets); the report has a row per checkpoint and a grid
 * of input | output | target. A dataset without a held-out split is scored on its training pairs,
 * with a warning, and the report says so.
 */
final class TranslationStage {
    private static final Logger LOG = LoggerFactory.getLogger(TranslationStage.class);

    private TranslationStage() {
    }

    static TranslationReport score(JavaSparkContext sc, Storage storage, SparkganConfig config,
                                   PreparedDataset dataset, RunDirectory run, List<Long> steps, DirectoryLease lease)
            throws IOException {
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
        NativeSelfCheck.require(NetworkKernels.generator(a, batch));
        boolean swapped = config.data().direction() == DataConfig.Direction.B_TO_A;
        EvaluatorTrainer.Stored evaluator = evaluator(sc, storage, config, dataset, swapped);
        List<KernelCase> kernels = new ArrayList<>(NetworkKernels.generator(a, batch));
        if (evaluator != null) {
            kernels.addAll(EvalKernelCases.evaluator(a.imageSize(), a.channels(), batch, false));
        }
        ExtractorSpec spec = evaluator == null ? null
                : new ExtractorSpec("evaluator", evaluator.uri(), evaluator.sha256());
        PairedScores.Job job = new PairedScores.Job(a, config.train().seed(), swapped, batch,
                ExecutorThreads.forTasks(sc, config.train().executorThreads()), List.copyOf(kernels), spec);
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
                sc.setJobDescription("sparkgan fid: translating " + heldOut.count() + " held-out pairs, checkpoint "
                        + RunDirectory.stepName(step) + " (" + (i + 1) + "/" + steps.size() + ")");
                PairedScores.Sums sums = PairedScores.of(sc, storage, job, g.params(), heldDir, heldOut);
                TranslationReport.Row row = TranslationReport.Row.of(step, g.kind(), sums,
                        (System.nanoTime() - started) / 1e9);
                rows.add(row);
                report = new TranslationReport(config.runId(), run.root().toString(), dataset.info().name(),
                        dataset.info().contentSha256(), split, heldOut.count(), config.data().direction().key(),
                        config.train().seed(), spec, evaluator == null ? Double.NaN : evaluator.testAccuracy(),
                        List.copyOf(rows), TranslationGrid.png(replica, g.params(), gridPairs,
                        config.train().seed(), config.runId(), step), Instant.now().toString());
                report.write(storage, run.fid(), lease);
                LOG.info("fid: {} {} ({}/{}): L1 {} PSNR {} dB SSIM {}{} on {} held-out pairs in {} s",
                        RunDirectory.stepName(step), g.kind(), i + 1, steps.size(), FidStage.fmt4(row.l1()),
                        FidStage.fmt(row.psnr()), FidStage.fmt4(row.ssim()), Double.isNaN(row.fid()) ? ""
                                : " FID " + FidStage.fmt(row.fid()) + " accuracy " + FidStage.fmt4(row.accuracy()),
                        row.pairs(), FidStage.fmt(row.seconds()));
            }
        }
        return report;
    }

    /**
     * The evaluator classifier of the target half of the training pairs (trained once per dataset and
     * kept beside it), when the dataset is labelled and fid.extractor is the evaluator; else null.
     */
    private static EvaluatorTrainer.Stored evaluator(JavaSparkContext sc, Storage storage, SparkganConfig config,
                                                     PreparedDataset dataset, boolean swapped) throws IOException {
        if (!config.fid().extractor().equals("evaluator") || dataset.info().classes().size() < 2) {
            LOG.info("fid: no FID or accuracy for the outputs: they need the evaluator (fid.extractor = evaluator) of"
                    + " a labelled dataset, and {} {}", dataset.describe(), dataset.info().classes().size() < 2
                    ? "has no labels" : "is scored with fid.extractor = " + config.fid().extractor());
            return null;
        }
        return EvaluatorTrainer.findOrTrain(sc, storage, dataset.dir(), dataset.info(),
                FidStage.evaluatorSettings(sc, config), swapped ? 0 : 1);
    }
}

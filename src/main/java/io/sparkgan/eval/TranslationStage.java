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
 * scored against their targets ({@link PairedScores}); the report has a row per checkpoint and a grid
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
        PairedScores.Job job = new PairedScores.Job(a, config.train().seed(), swapped, batch,
                ExecutorThreads.forTasks(sc, config.train().executorThreads()), NetworkKernels.generator(a, batch));
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
                        config.train().seed(), List.copyOf(rows), TranslationGrid.png(replica, g.params(), gridPairs,
                        config.train().seed(), config.runId(), step), Instant.now().toString());
                report.write(storage, run.fid(), lease);
                LOG.info("fid: {} {} ({}/{}): L1 {} PSNR {} dB SSIM {} on {} held-out pairs in {} s",
                        RunDirectory.stepName(step), g.kind(), i + 1, steps.size(), FidStage.fmt4(row.l1()),
                        FidStage.fmt(row.psnr()), FidStage.fmt4(row.ssim()), row.pairs(), FidStage.fmt(row.seconds()));
            }
        }
        return report;
    }
}

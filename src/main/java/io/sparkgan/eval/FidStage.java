package io.sparkgan.eval;

import io.sparkgan.config.FidConfig;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.PreparedDataset;
import io.sparkgan.io.DirectoryLease;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import io.sparkgan.model.GanReplica;
import io.sparkgan.model.NoiseMode;
import io.sparkgan.model.KernelCase;
import io.sparkgan.runtime.ExecutorThreads;
import io.sparkgan.runtime.NativeSelfCheck;
import io.sparkgan.train.Checkpoint;
import io.sparkgan.train.SampleGrid;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores checkpoints of a run: FID and KID against the real data's statistics, and mode coverage
 * from the evaluator's class predictions. The path of one checkpoint:
 * <ol>
 *   <li>the extractor: the dataset's cached evaluator (trained on Spark when there is none) or the
 *       user's InceptionV3 weights;</li>
 *   <li>the real statistics: cached next to the shards, or computed on the executors once;</li>
 *   <li>the generator (EMA weights when the checkpoint has them) generates {@code fid.samples} images
 *       from seeded noise on the executors, which extract features and fold them into statistics;</li>
 *   <li>the driver computes the distances and rewrites {@code fid/report.{json,csv,html}}, so the
 *       report is complete and readable after every checkpoint, not only at the end.</li>
 * </ol>
 */
public final class FidStage {
    private static final Logger LOG = LoggerFactory.getLogger(FidStage.class);

    private FidStage() {
    }

    /**
     * Scores {@code steps} (committed checkpoints of {@code run}) and writes the report; returns it.
     * Scores already in the run's report that scoring again would reproduce (same extractor, samples,
     * seed, KID settings and real statistics) are reused unless {@code rescore}: a rerun of a scored
     * run, such as a cleared Airflow task, computes nothing and leaves the report as it was.
     *
     * @return the report written, or null when every checkpoint asked for was scored already, or for a
     *     translation run, whose report is {@link TranslationReport}
     */
    public static FidReport run(JavaSparkContext sc, Storage storage, SparkganConfig config, PreparedDataset dataset,
                                RunDirectory run, List<Long> steps) throws IOException {
        return run(sc, storage, config, dataset, run, steps, false);
    }

    public static FidReport run(JavaSparkContext sc, Storage storage, SparkganConfig config, PreparedDataset dataset,
                                RunDirectory run, List<Long> steps, boolean rescore) throws IOException {
        // the report is the run directory's: written only by the driver that holds its lease
        try (DirectoryLease lease = DirectoryLease.acquire(storage, run.root(), "fid", config.leaseTimeout())) {
            if (config.model().family().translates()) { // scored against ground truth, not by FID alone
                TranslationStage.score(sc, storage, config, dataset, run, steps, rescore, lease);
                return null;
            }
            return score(sc, storage, config, dataset, run, steps, rescore, lease);
        }
    }

    private static FidReport score(JavaSparkContext sc, Storage storage, SparkganConfig config, PreparedDataset dataset,
                                   RunDirectory run, List<Long> steps, boolean rescore, DirectoryLease lease)
            throws IOException {
        DatasetInfo info = dataset.info();
        FidConfig fid = config.fid();
        long started = System.nanoTime();
        int partitions = fid.partitionsOr(config.train().workers());
        int threads = ExecutorThreads.forTasks(sc, config.train().executorThreads());
        FidReport.Extractor extractor = resolveExtractor(sc, storage, config, dataset);
        ExtractorSpec spec = extractor.spec();
        int kidRows = (int) Math.ceil((double) Math.min(fid.samples(), KID_POOL) / partitions);
        GanArchitecture architecture = config.architecture(info.classes().size());
        // Statistics per class for intra-class FID: conditional runs, on the evaluator's 128-d features (a
        // 2048-d InceptionV3 covariance is 33 MB, ten of them in every task's summary)
        int perClass = architecture.conditional() && spec.name().equals("evaluator") ? architecture.classes() : 0;
        if (architecture.conditional() && perClass == 0) {
            LOG.info("fid: intra-class FID is computed on the evaluator's features only; this report has none");
        }
        List<KernelCase> kernels = EvalKernelCases.fid(architecture, fid, extractor.featureDim(),
                spec.name().equals("evaluator"));
        NativeSelfCheck.require(kernels); // the driver's, before anything is scored; every executor's in its tasks
        DistributedFeatures.Job job = new DistributedFeatures.Job(spec, extractor.featureDim(), extractor.classes(),
                fid.batch(), kidRows, threads, perClass, extractor.probabilityClasses(), kernels);

        long realStarted = System.nanoTime();
        RealStatistics.Reference real = RealStatistics.cached(storage, dataset.dir(), info, spec, fid.samples(),
                perClass > 0);
        boolean realComputed = real == null;
        if (realComputed) {
            real = computeRealStatistics(sc, storage, config, dataset, extractor, threads, perClass, kernels);
        }
        double realSeconds = realComputed ? (System.nanoTime() - realStarted) / 1e9 : 0;

        Map<FidReport.Row, CheckpointScore> earlier = rescore ? Map.of() : FidReport.reusableScores(storage,
                run.fid(), spec.sha256(), fid.samples(), config.train().seed(), fid.kidSubsets(), fid.kidSubsetSize(),
                real.npzUri());
        Map<Long, List<Checkpoint.GeneratorParams>> generators = new LinkedHashMap<>();
        for (long step : steps) {
            generators.put(step, Checkpoint.generatorParams(storage, run.checkpoint(step), fid.scoreRaw()));
            String trainedOn = Checkpoint.stateJson(storage, run.checkpoint(step)).path("dataset_sha256").asText("");
            if (!trainedOn.isEmpty() && !trainedOn.equals(info.contentSha256())) {
                LOG.warn("fid: checkpoint {} was trained on the dataset whose content SHA-256 is {}, and is scored"
                        + " against {} ({}), another dataset", step, trainedOn, dataset.describe(),
                        info.contentSha256());
            }
        }
        Set<FidReport.Row> wanted = new TreeSet<>();
        generators.forEach((step, list) -> list.forEach(g -> wanted.add(new FidReport.Row(step, g.kind()))));
        if (!earlier.isEmpty() && earlier.keySet().equals(wanted)) {
            LOG.info("fid: {} already scores checkpoints {} with the same extractor, samples and seed; nothing to do"
                    + " (--rescore scores them again)", new Path(run.fid(), "report.json"), steps);
            return null;
        }
        FidReport report = new FidReport(config.runId(), run.root().toString(), info.name(), info.contentSha256(),
                info.classes(), extractor, fid.samples(), config.train().seed(), fid.kidSubsets(),
                fid.kidSubsetSize(), real.npzUri(), real.count(), realSeconds, new ArrayList<>(),
                Instant.now().toString(), null);
        GanReplica driverReplica = new GanReplica(architecture, GanLoss.NON_SATURATING, 1.0, DataType.FLOAT);
        for (int i = 0; i < steps.size(); i++) {
            long step = steps.get(i);
            for (Checkpoint.GeneratorParams generator : generators.get(step)) {
                long t = System.nanoTime();
                CheckpointScore prior = earlier.get(new FidReport.Row(step, generator.kind()));
                if (prior != null) {
                    report.checkpoints().add(prior.withGrid(grid(driverReplica, generator, config, step)));
                    report.write(storage, run.fid(), lease);
                    LOG.info("fid: {} {} ({}/{}) FID {}: scored before with the same settings, reused",
                            RunDirectory.stepName(step), generator.kind(), i + 1, steps.size(), fmt(prior.fid()));
                    continue;
                }
                sc.setJobDescription("sparkgan fid: checkpoint " + RunDirectory.stepName(step) + ", "
                        + generator.kind() + " generator (" + (i + 1) + "/" + steps.size() + ")");
                FeatureSummary fake = DistributedFeatures.ofGenerator(sc, storage, job, architecture,
                        generator.params(), config.train().seed(), fid.samples(), partitions);
                CheckpointScore score = score(step, generator, fake, real, fid, config, driverReplica, t);
                report.checkpoints().add(score);
                report.write(storage, run.fid(), lease);
                logScore(score, i + 1, steps.size());
            }
        }
        if (architecture.family() == GanArchitecture.Family.STYLEGAN2) {
            long last = steps.get(steps.size() - 1);
            Checkpoint.GeneratorParams g = generators.get(last).get(0);
            report = report.withStyled(new FidReport.Styled(NoiseMode.CONST.key(), SampleGrid.styleMixing(driverReplica,
                    g.params(), config.train().seed(), config.runId(), last), "step " + last + ", " + g.kind()
                    + " generator: row i's w for the coarse half of the style inputs, column j's for the fine half"));
            report.write(storage, run.fid(), lease);
        }
        LOG.info("fid: report for {} checkpoint(s) in {} s: {}", steps.size(), fmt((System.nanoTime() - started) / 1e9),
                new Path(run.fid(), "report.html"));
        return report;
    }

    private static void logScore(CheckpointScore score, int index, int count) {
        LOG.info("fid: {} {} ({}/{}) FID {} KID {} ± {}{} — {} images in {} s ({} images/s)",
                RunDirectory.stepName(score.step()), score.generator(), index, count, fmt(score.fid()), fmt4(score.kidMean()),
                fmt4(score.kidStd()), Double.isNaN(score.coverage()) ? "" : " coverage " + fmt(score.coverage())
                        + " KL " + fmt4(score.klToReal()), score.samples(), fmt(score.seconds()),
                fmt(score.imagesPerSecond()));
    }

    /** The real data's statistics, computed on the executors and cached next to the shards. */
    private static RealStatistics.Reference computeRealStatistics(JavaSparkContext sc, Storage storage,
                                                                  SparkganConfig config, PreparedDataset dataset,
                                                                  FidReport.Extractor extractor, int threads,
                                                                  int perClass, List<KernelCase> kernels)
            throws IOException {
        DatasetInfo info = dataset.info();
        FidConfig fid = config.fid();
        ExtractorSpec spec = extractor.spec();
        long started = System.nanoTime();
        LOG.info("fid: computing real-data statistics ({} images, {} features) on the executors",
                Math.min(fid.samples(), info.count()), spec.name());
        sc.setJobDescription("sparkgan fid: real-data statistics");
        int kidRows = (int) Math.ceil((double) Math.min(fid.samples(), KID_POOL) / info.shards().size());
        FeatureSummary summary = DistributedFeatures.ofDataset(sc, storage, new DistributedFeatures.Job(spec,
                extractor.featureDim(), extractor.classes(), fid.batch(), kidRows, threads, perClass, 0, kernels),
                dataset.dir(), info, fid.samples());
        RealStatistics.Reference real = RealStatistics.save(storage, dataset.dir(), info, spec,
                fid.samples(), summary);
        double seconds = (System.nanoTime() - started) / 1e9;
        LOG.info("fid: real statistics of {} images in {} s ({} images/s), saved to {}", real.count(), fmt(seconds),
                fmt(real.count() / seconds), real.npzUri());
        return real;
    }

    /** At most this many feature rows per side go into KID (its subsets are drawn from them). */
    static final int KID_POOL = 10_000;

    private static CheckpointScore score(long step, Checkpoint.GeneratorParams generator, FeatureSummary fake,
                                         RealStatistics.Reference real, FidConfig fid, SparkganConfig config,
                                         GanReplica driverReplica, long startedNanos) {
        Map<String, Double> values = CheckpointMetrics.scoreAll(
                new CheckpointMetric.Inputs(fake, real, fid, config.train().seed()));
        double seconds = (System.nanoTime() - startedNanos) / 1e9;
        return new CheckpointScore(step, generator.kind(), values, fake.classCounts.clone(), fake.stats.count(), seconds, grid(driverReplica, generator, config, step));
    }

    private static byte[] grid(GanReplica replica, Checkpoint.GeneratorParams generator, SparkganConfig config,
                               long step) {
        return SampleGrid.png(replica, generator.params(), config.train().seed(), config.train().sampleCount(),
                config.runId(), step);
    }

    static FidReport.Extractor resolveExtractor(JavaSparkContext sc, Storage storage, SparkganConfig config,
                                                        PreparedDataset dataset) throws IOException {
        FidConfig fid = config.fid();
        if (fid.extractor().equals("inception")) {
            // Loading it here checks the file before any executor work and gives its hash and width.
            InceptionExtractor inception = InceptionExtractor.fromLocation(fid.inceptionWeights(), storage);
            String uri = Storage.qualify(fid.inceptionWeights().trim()).toString();
            if (!inception.hasClassifier()) {
                LOG.info("fid: {} has no classifier layer ({}), so the report has no Inception Score; InceptionV3"
                        + " with include_top=True gives it", uri, InceptionExtractor.CLASSIFIER_LAYER);
            }
            return new FidReport.Extractor(new ExtractorSpec("inception", uri, inception.contentHash()),
                    inception.featureDim(), 0, Double.NaN, inception.classifierClasses());
        }
        EvaluatorTrainer.Stored evaluator = EvaluatorTrainer.findOrTrain(sc, storage, dataset.dir(), dataset.info(),
                evaluatorSettings(sc, config));
        return new FidReport.Extractor(new ExtractorSpec("evaluator", evaluator.uri(), evaluator.sha256()),
                EvaluatorClassifier.FEATURES, evaluator.classes(), evaluator.testAccuracy(), evaluator.classes());
    }

    /** The evaluator's training settings from the config. */
    public static EvaluatorTrainer.Settings evaluatorSettings(JavaSparkContext sc, SparkganConfig config) {
        return new EvaluatorTrainer.Settings(config.train().workers(), config.fid().evaluatorEpochs(),
                config.fid().evaluatorImages(), ExecutorThreads.forTasks(sc, config.train().executorThreads()),
                config.train().seed());
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static String fmt4(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}

package io.sparkgan.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.config.TrainConfig;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.Preparer;
import io.sparkgan.io.BuildInfo;
import io.sparkgan.io.Json;
import io.sparkgan.io.Png;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.model.Dcgan;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanReplica;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The train stage on the driver: prepare (or reuse) the dataset, spread it over the workers, run the
 * steps, and keep the run directory up to date with metrics, sample grids and checkpoints.
 */
public final class TrainingJob {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingJob.class);

    /**
     * What a finished run left behind.
     *
     * @param alreadyFinished the run had finished before this call, which changed nothing
     */
    public record Result(RunDirectory run, long steps, float[] generator, float[] discriminator,
                         String generatorSha256, String discriminatorSha256, double wallSeconds, DatasetInfo dataset,
                         boolean alreadyFinished) {}

    private TrainingJob() {
    }

    /** prepare → load partitions → train (resuming the run when it was interrupted). */
    public static Result run(SparkganConfig config, JavaSparkContext sc, Storage storage) throws IOException {
        return run(config, sc, storage, false);
    }

    /** As {@link #run(SparkganConfig, JavaSparkContext, Storage)}; {@code fresh} discards an earlier attempt. */
    public static Result run(SparkganConfig config, JavaSparkContext sc, Storage storage, boolean fresh)
            throws IOException {
        DatasetInfo info = Preparer.prepare(config.data(), storage);
        JavaRDD<TrainingPartition> partitions =
                PartitionLoader.load(sc, storage, config.data().shards(), info, config.train().workers());
        return train(config, sc, storage, partitions, info, fresh);
    }

    /** Trains on partitions already loaded (one per worker, indexed 0..W−1), resuming if interrupted. */
    public static Result train(SparkganConfig config, JavaSparkContext sc, Storage storage,
                               JavaRDD<TrainingPartition> partitions, DatasetInfo info) throws IOException {
        return train(config, sc, storage, partitions, info, false);
    }

    /**
     * Trains into {@code <output.dir>/<run.id>}. An existing run directory is continued: from its
     * newest committed checkpoint when it has one (a killed driver, a failed job, or more
     * train.steps than it finished), as a no-op when it already finished train.steps. With
     * {@code fresh} the directory is removed first.
     */
    public static Result train(SparkganConfig config, JavaSparkContext sc, Storage storage,
                               JavaRDD<TrainingPartition> partitions, DatasetInfo info, boolean fresh)
            throws IOException {
        TrainConfig train = config.train();
        GanArchitecture architecture = config.architecture();
        RunDirectory run = RunDirectory.of(config.outputDir(), config.runId());
        TrainConfig.Sync sync = chooseSync(sc, train);
        GanReplica driverReplica = new GanReplica(architecture, train.loss(), train.realTarget(), DataType.FLOAT);
        if (fresh && storage.exists(run.root())) {
            LOG.info("train: --fresh: removing the earlier attempt in {}", run.root());
            storage.delete(run.root());
        }
        List<Long> committed = run.committedCheckpoints(storage);
        if (storage.exists(run.success())) {
            long finished = Json.parse(storage.readString(run.success())).path("steps").asLong();
            if (finished >= train.steps() && !committed.isEmpty()) {
                GanState last = CheckpointReader.read(storage, run, committed.get(committed.size() - 1), train);
                LOG.info("train: run {} already finished {} steps; nothing to do (--fresh starts it over)", run.root(),
                        finished);
                return new Result(run, last.step, last.generator.clone(), last.discriminator.clone(),
                        Checkpointer.paramsSha256(last.generator), Checkpointer.paramsSha256(last.discriminator), 0,
                        info, true);
            }
            storage.delete(run.success()); // asked for more steps than it finished: train on
        }
        GanState state;
        MetricsLog metrics;
        float[] sampleNoise = LatentNoise.draw(train.seed(), LatentNoise.SAMPLE_STEP, 0, 0, train.sampleCount(),
                architecture.latentDim());
        if (!committed.isEmpty()) {
            long from = committed.get(committed.size() - 1);
            state = CheckpointReader.read(storage, run, from, train);
            requireSameModel(state, driverReplica, run, from);
            metrics = MetricsLog.resume(storage, run.metrics(), from);
            storage.writeString(run.runConf(), config.renderedForRunDirectory());
            LOG.info("train: resuming {} from its checkpoint at step {} (of {})", run.root(), from, train.steps());
        } else {
            if (storage.exists(run.root())) {
                // an attempt that died before its first checkpoint: nothing in it is worth keeping
                LOG.info("train: {} holds an attempt without a committed checkpoint; starting it over", run.root());
                storage.delete(run.root());
            }
            startRunDirectory(storage, run, config, sc, info, sync);
            state = new GanState(
                    Dcgan.generatorLayout(architecture).initialise(Seeds.mix(train.seed(), 'G')),
                    Dcgan.discriminatorLayout(architecture).initialise(Seeds.mix(train.seed(), 'D')), train);
            metrics = new MetricsLog(storage, run.metrics());
            writeSample(storage, run, driverReplica, state, sampleNoise, config);
        }
        int threads = ExecutorThreads.forTasks(sc, train.executorThreads());
        Checkpointer checkpointer = new Checkpointer(storage, run, driverReplica, train.seed(), config.runId());

        long started = System.nanoTime();
        double[] meanStepSeconds = {Double.NaN};
        double checkpointSeconds = 0;
        long lastCheckpoint = committed.isEmpty() ? -1 : state.step;
        try (StepRunner steps = stepRunner(sync, sc, partitions, architecture, train, threads, state)) {
            LOG.info("train: run {} — {} steps, {} workers × {} images, {} G + {} D parameters, {} ND4J threads per"
                    + " task; {}", run.root(), train.steps(), train.workers(), train.batchPerWorker(),
                    driverReplica.generatorLayout().size(), driverReplica.discriminatorLayout().size(), threads,
                    steps.describe());
            while (state.step < train.steps()) {
                steps.runSteps(nextStop(state.step, train), stats -> {
                    long done = stats.step() + 1;
                    double seconds = stats.wallNanos() / 1e9;
                    meanStepSeconds[0] = Double.isNaN(meanStepSeconds[0]) ? seconds
                            : 0.9 * meanStepSeconds[0] + 0.1 * seconds;
                    if (done % train.logEvery() == 0 || done == train.steps() || done == 1) {
                        metrics.append(stats, (System.nanoTime() - started) / 1e9, train.workers());
                        LOG.info(progressLine(stats, train, meanStepSeconds[0]));
                    }
                });
                long done = state.step;
                boolean last = done == train.steps();
                if (done % train.sampleEvery() == 0 || last) {
                    writeSample(storage, run, driverReplica, state, sampleNoise, config);
                }
                if (done % train.checkpointEvery() == 0 || last) {
                    metrics.flush();
                    long writeStarted = System.nanoTime();
                    try {
                        Path dir = checkpointer.write(state);
                        checkpointSeconds += (System.nanoTime() - writeStarted) / 1e9;
                        LOG.info("train: checkpoint {} ({})", dir,
                                formatDuration((System.nanoTime() - writeStarted) / 1e9));
                    } catch (IOException e) {
                        throw new TrainingException("step " + done + ": writing checkpoint " + run.checkpoint(done)
                                + " failed (" + e + "); it is not committed and readers ignore it.", done);
                    }
                    lastCheckpoint = done;
                    try {
                        CheckpointRetention.apply(storage, run, train.keepCheckpoints());
                    } catch (IOException e) {
                        // old checkpoints left behind cost space, not correctness: the next checkpoint retries
                        LOG.warn("train: could not delete old checkpoints in {}: {}", run.checkpoints(), e.toString());
                    }
                }
            }
        } catch (TrainingException e) {
            metrics.flush();
            throw new TrainingException(e.getMessage() + (lastCheckpoint >= 0
                    ? " The last good checkpoint is " + run.checkpoint(lastCheckpoint) + "."
                    : " No checkpoint had been written yet."), e.step());
        } finally {
            metrics.flush();
        }
        double wall = (System.nanoTime() - started) / 1e9;
        String gSha = Checkpointer.paramsSha256(state.generator);
        String dSha = Checkpointer.paramsSha256(state.discriminator);
        ObjectNode success = Json.object();
        success.put("steps", state.step);
        success.put("wall_time_s", wall);
        success.put("checkpoint_time_s", checkpointSeconds);
        success.putObject("params_sha256").put("generator", gSha).put("discriminator", dSha);
        success.put("finished_at", Instant.now().toString());
        storage.writeString(run.success(), Json.pretty(success));
        LOG.info("train: finished {} steps in {} (checkpoint writes {}, {}%); run directory {}", state.step,
                formatDuration(wall), formatDuration(checkpointSeconds),
                String.format(java.util.Locale.ROOT, "%.1f", 100 * checkpointSeconds / wall), run.root());
        return new Result(run, state.step, state.generator.clone(), state.discriminator.clone(), gSha, dSha, wall, info,
                false);
    }

    /**
     * The step where the driver next needs the state (a sample grid, a checkpoint, the end) or wants
     * to report early progress (step 1); a collective job never runs past it.
     */
    static long nextStop(long step, TrainConfig train) {
        long next = Math.min(train.steps(), Math.min(nextMultiple(step, train.sampleEvery()),
                nextMultiple(step, train.checkpointEvery())));
        return step == 0 ? 1 : next;
    }

    private static long nextMultiple(long step, long every) {
        return (step / every + 1) * every;
    }

    /**
     * The mode train.sync asks for: "auto" takes the collective one where this cluster allows it.
     * Decided before the run directory is touched, so that a setting that cannot work leaves nothing.
     */
    static TrainConfig.Sync chooseSync(JavaSparkContext sc, TrainConfig train) {
        if (train.sync() == TrainConfig.Sync.DRIVER) {
            return TrainConfig.Sync.DRIVER;
        }
        String unsupported = CollectiveStepRunner.unsupportedBecause(sc.getConf(), train.workers());
        if (unsupported == null) {
            return TrainConfig.Sync.COLLECTIVE;
        }
        if (train.sync() == TrainConfig.Sync.COLLECTIVE) {
            throw new io.sparkgan.config.ConfigException("train.sync = collective cannot run here: " + unsupported
                    + ". Use train.sync = driver (or auto), or give the job at least train.workers task slots.");
        }
        LOG.info("train: train.sync = auto chose the driver mode: {}", unsupported);
        return TrainConfig.Sync.DRIVER;
    }

    private static StepRunner stepRunner(TrainConfig.Sync sync, JavaSparkContext sc,
                                         JavaRDD<TrainingPartition> partitions, GanArchitecture architecture,
                                         TrainConfig train, int threads, GanState state) {
        return sync == TrainConfig.Sync.COLLECTIVE
                ? new CollectiveStepRunner(sc, partitions, architecture, train, threads, state)
                : new DriverStepRunner(sc, partitions, architecture, train, threads, state);
    }

    private static void requireSameModel(GanState state, GanReplica replica, RunDirectory run, long step) {
        if (state.generator.length != replica.generatorLayout().size()
                || state.discriminator.length != replica.discriminatorLayout().size()) {
            throw new TrainingException("cannot resume " + run.root() + ": its checkpoint at step " + step + " holds "
                    + state.generator.length + " G + " + state.discriminator.length + " D parameters, the model"
                    + " configured now has " + replica.generatorLayout().size() + " + "
                    + replica.discriminatorLayout().size() + "; resume with the run's own settings (its run.conf) or"
                    + " start over with --fresh", step);
        }
    }

    private static void startRunDirectory(Storage storage, RunDirectory run, SparkganConfig config,
                                          JavaSparkContext sc, DatasetInfo info, TrainConfig.Sync sync)
            throws IOException {
        storage.mkdirs(run.root());
        storage.writeString(run.runConf(), config.renderedForRunDirectory());
        ObjectNode p = Json.object();
        p.put("run_id", config.runId());
        p.put("started_at", Instant.now().toString());
        p.put("sparkgan_version", BuildInfo.version());
        p.put("spark_version", sc.version());
        p.put("dl4j_version", BuildInfo.get("dl4j.version"));
        p.put("nd4j_backend", Nd4j.getBackend().getClass().getSimpleName());
        p.put("java_version", System.getProperty("java.version"));
        p.put("spark_master", sc.master());
        p.put("sync", sync.name().toLowerCase(java.util.Locale.ROOT)); // what train.sync = auto chose
        p.put("seed", config.train().seed());
        p.put("user", System.getProperty("user.name"));
        try {
            p.put("driver_host", InetAddress.getLocalHost().getHostName());
        } catch (IOException e) {
            p.put("driver_host", "unknown");
        }
        p.put("config_sha256", io.sparkgan.data.Hashes.sha256Hex(
                config.renderedForRunDirectory().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        if (info != null) {
            ObjectNode d = p.putObject("dataset");
            d.put("name", info.name());
            d.put("source", info.source());
            d.put("shards", Storage.qualify(config.data().shards()).toString());
            d.put("count", info.count());
            d.put("content_sha256", info.contentSha256());
            d.put("source_fingerprint", info.fingerprint());
        }
        storage.writeString(run.provenance(), Json.pretty(p));
    }

    private static void writeSample(Storage storage, RunDirectory run, GanReplica replica, GanState state,
                                    float[] noise, SparkganConfig config) throws IOException {
        GanArchitecture a = config.architecture();
        int count = config.train().sampleCount();
        replica.setGenerator(state.samplingGenerator());
        INDArray z = Nd4j.create(noise, new long[] {count, a.latentDim()}, DataType.FLOAT);
        float[] images = replica.generate(z).castTo(DataType.FLOAT).data().asFloat();
        byte[] png = Png.encode(Png.grid(images, count, a.channels(), a.imageSize()),
                Png.syntheticMarks(config.runId(), state.step));
        storage.writeAtomically(run.sample(state.step), png);
    }

    private static String progressLine(StepStats s, TrainConfig train, double meanStepSeconds) {
        long done = s.step() + 1;
        double eta = (train.steps() - done) * meanStepSeconds;
        return String.format(java.util.Locale.ROOT,
                "step %d/%d | D loss %.3f G loss %.3f | D(x) %.3f D(G(z)) %.3f | %.0f img/s | compute %.0f%% | ETA %s",
                done, train.steps(), s.discriminatorLoss(), s.generatorLoss(), s.realScore(), s.fakeScore(),
                s.images() / (s.wallNanos() / 1e9), 100.0 * s.computeNanos() / s.wallNanos(), formatDuration(eta));
    }

    static String formatDuration(double seconds) {
        Duration d = Duration.ofMillis((long) (seconds * 1000));
        if (d.toHours() > 0) {
            return String.format("%dh%02dm", d.toHours(), d.toMinutesPart());
        }
        if (d.toMinutes() > 0) {
            return String.format("%dm%02ds", d.toMinutes(), d.toSecondsPart());
        }
        return String.format(java.util.Locale.ROOT, "%.1fs", seconds);
    }
}

package io.sparkgan.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.config.TrainConfig;
import io.sparkgan.data.DatasetChangedException;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.HeldDataset;
import io.sparkgan.data.PreparedDataset;
import io.sparkgan.data.Preparer;
import io.sparkgan.data.SampleOrder;
import io.sparkgan.data.ShardReader;
import io.sparkgan.data.TrainingData;
import io.sparkgan.data.WorkerInput;
import io.sparkgan.distributed.StepRunner;
import io.sparkgan.distributed.Synchronisation;
import io.sparkgan.io.DirectoryLease;
import io.sparkgan.io.Json;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.model.networks.GanNetwork;
import io.sparkgan.model.networks.NetworkKernels;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanReplica;
import io.sparkgan.model.Noise;
import io.sparkgan.runtime.ExecutorThreads;
import io.sparkgan.runtime.JvmPlatforms;
import io.sparkgan.runtime.NativeSelfCheck;
import io.sparkgan.step.GanState;
import io.sparkgan.step.TrainingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The train stage on the driver: prepare (or reuse) the dataset, spread it over the workers, run the
 * steps ({@link Synchronisation} says how), and keep the run directory up to date with metrics,
 * sample grids and checkpoints. The loop owns scheduling and the run directory; what a step does is
 * {@code step.GanStep}'s.
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

    private final SparkganConfig config;
    private final TrainConfig train;
    private final Storage storage;
    private final RunDirectory run;
    private final GanReplica replica;
    private final GanState state;
    private final MetricsLog metrics;
    private final Checkpoint.Provenance provenance;
    private final DirectoryLease lease;
    private final RunSamples samples;
    private final long started = System.nanoTime();
    private long lastCheckpoint;
    private double checkpointSeconds;

    private TrainingJob(SparkganConfig config, Storage storage, RunDirectory run, GanReplica replica, GanState state,
                        MetricsLog metrics, Checkpoint.Provenance provenance, DirectoryLease lease,
                        RunSamples samples, long lastCheckpoint) {
        this.config = config;
        this.train = config.train();
        this.storage = storage;
        this.run = run;
        this.replica = replica;
        this.state = state;
        this.metrics = metrics;
        this.provenance = provenance;
        this.lease = lease;
        this.samples = samples;
        this.lastCheckpoint = lastCheckpoint;
    }

    /** prepare → read the shards → train (resuming the run when it was interrupted). */
    public static Result run(SparkganConfig config, JavaSparkContext sc, Storage storage) throws IOException {
        return run(config, sc, storage, false, (result, dataset) -> { });
    }

    /** What runs after training, on the dataset the run trained on, still held (the FID stage). */
    @FunctionalInterface
    public interface AfterTraining {
        void accept(Result result, PreparedDataset dataset) throws IOException;
    }

    /**
     * As {@link #run(SparkganConfig, JavaSparkContext, Storage)}; {@code fresh} discards an earlier
     * attempt. The run's dataset is held ({@link HeldDataset}) from before the first step until
     * {@code after} returns, which runs once the run directory's lease is let go.
     */
    public static Result run(SparkganConfig config, JavaSparkContext sc, Storage storage, boolean fresh,
                             AfterTraining after) throws IOException {
        RunDirectory run = RunDirectory.of(config.outputDir(), config.runId());
        if (!config.model().conditional()) { // a conditional G's shapes wait for the dataset's classes
            checkKernels(config, sc, config.architecture());
        }
        TrainConfig.Sync sync = Synchronisation.choose(sc, config.train()); // a mode that cannot run touches nothing
        // The run's lease before anything else: a second driver on this run refuses at once, not after
        // it has waited for executors (which the first one holds) and loaded the data.
        DirectoryLease lease = DirectoryLease.acquire(storage, run.root(), "train", config.leaseTimeout());
        HeldDataset data;
        try {
            data = Preparer.prepareAndHold(sc, config.data(), storage, config.leaseTimeout(), "train " + run.root());
        } catch (IOException | RuntimeException e) {
            lease.close();
            throw e;
        }
        try (data) {
            Result result;
            try (lease) {
                ShardReader shards = TrainingData.reader(sc, storage, config.data(), data.dataset());
                result = train(config, sc, storage, shards, data.info(), fresh, sync, lease);
            }
            after.accept(result, data.dataset());
            return result;
        }
    }

    /**
     * The driver's native kernels at this run's shapes, checked before the run directory is touched: it
     * draws the sample grids, and in local mode it is the executor too. Executors check theirs before
     * their first task.
     */
    private static void checkKernels(SparkganConfig config, JavaSparkContext sc, GanArchitecture architecture) {
        if (sc.isLocal()) {
            NativeSelfCheck.require(NetworkKernels.training(architecture, config.train().batchPerWorker()));
        }
        NativeSelfCheck.require(NetworkKernels.generator(architecture, config.train().sampleCount()));
    }

    /** Trains on the images {@code shards} reads, resuming if interrupted. */
    public static Result train(SparkganConfig config, JavaSparkContext sc, Storage storage, ShardReader shards,
                               DatasetInfo info) throws IOException {
        return train(config, sc, storage, shards, info, false);
    }

    /**
     * Trains into {@code <output.dir>/<run.id>}. An existing run directory is continued: from its
     * newest committed checkpoint when it has one (a killed driver, a failed job, or more
     * train.steps than it finished), as a no-op when it already finished train.steps. With
     * {@code fresh} the directory is removed first.
     */
    public static Result train(SparkganConfig config, JavaSparkContext sc, Storage storage, ShardReader shards,
                               DatasetInfo info, boolean fresh) throws IOException {
        RunDirectory run = RunDirectory.of(config.outputDir(), config.runId());
        // a conditional GAN on unlabelled data stops here, before touching the run; so does a wrong kernel
        checkKernels(config, sc, RunNetworks.architecture(config, info));
        TrainConfig.Sync sync = Synchronisation.choose(sc, config.train());
        try (DirectoryLease lease = DirectoryLease.acquire(storage, run.root(), "train", config.leaseTimeout())) {
            return train(config, sc, storage, shards, info, fresh, sync, lease);
        }
    }

    /** As above, under the run directory's lease, which the caller holds. */
    private static Result train(SparkganConfig config, JavaSparkContext sc, Storage storage, ShardReader shards,
                                DatasetInfo info, boolean fresh, TrainConfig.Sync sync, DirectoryLease lease)
            throws IOException {
        TrainConfig train = config.train();
        RunDirectory run = RunDirectory.of(config.outputDir(), config.runId());
        GanArchitecture architecture = RunNetworks.architecture(config, info);
        GanReplica replica = new GanReplica(architecture, train.loss(), train.realTarget(), DataType.FLOAT);
        if (fresh && storage.exists(run.root())) {
            LOG.info("train: --fresh: removing the earlier attempt in {}", run.root());
            run.clearExceptLease(storage);
        }
        Result finished = alreadyFinished(storage, run, config, info);
        if (finished != null) {
            return finished;
        }
        int threads = ExecutorThreads.forTasks(sc, train.executorThreads());
        // the executors' self-check before the first step, and the machines the run starts on
        List<Map<String, Object>> executors = JvmPlatforms.ofExecutors(sc,
                NetworkKernels.training(architecture, train.batchPerWorker()), threads);
        TrainingJob job = resumeOrStart(config, sc, storage, run, replica, info, sync, threads, executors, lease,
                RunSamples.of(config, replica, shards));
        SampleOrder order = TrainingData.order(train, config.data(), shards);
        JavaRDD<WorkerInput> inputs = TrainingData.inputs(sc, shards, order, train.workers(), config.data());
        try (StepRunner steps = Synchronisation.start(sync, sc, inputs, architecture, train, threads,
                job.state)) {
            LOG.info("train: run {} — {} steps, {} workers × {} images, {} G + {} D parameters, {} ND4J threads"
                    + " per task; {}", run.root(), train.steps(), train.workers(), train.batchPerWorker(),
                    replica.generatorLayout().size(), replica.discriminatorLayout().size(), threads,
                    steps.describe());
            LOG.info("train: sample order over {} images: {} lanes × {} images a batch, shuffle windows of {} images"
                    + " ({})", order.images(), order.lanes(), order.perLane(), order.windowImages(),
                    train.shuffle() ? "shuffled every epoch" : "train.shuffle = false: stored order");
            job.loop(steps);
        }
        return job.finish(info);
    }

    /** The result of a run that already finished train.steps, or null when there is training to do. */
    private static Result alreadyFinished(Storage storage, RunDirectory run, SparkganConfig config, DatasetInfo info)
            throws IOException {
        TrainConfig train = config.train();
        if (!storage.exists(run.success())) {
            return null;
        }
        List<Long> committed = Checkpoint.committed(storage, run);
        long finished = Json.parse(storage.readString(run.success())).path("steps").asLong();
        if (finished < train.steps() || committed.isEmpty()) {
            storage.delete(run.success()); // asked for more steps than it finished: train on
            return null;
        }
        GanState last = Checkpoint.read(storage, run, committed.get(committed.size() - 1), train,
                RunNetworks.spectralNorm(config, RunNetworks.architecture(config, info)));
        LOG.info("train: run {} already finished {} steps; nothing to do (--fresh starts it over)", run.root(),
                finished);
        return new Result(run, last.step(), last.generator().clone(), last.discriminator().clone(),
                Checkpoint.paramsSha256(last.generator()), Checkpoint.paramsSha256(last.discriminator()), 0, info,
                true);
    }

    /** The job that continues the run from its newest committed checkpoint, or starts it at step 0. */
    private static TrainingJob resumeOrStart(SparkganConfig config, JavaSparkContext sc, Storage storage,
                                             RunDirectory run, GanReplica replica, DatasetInfo info,
                                             TrainConfig.Sync sync, int threads,
                                             List<Map<String, Object>> executors, DirectoryLease lease,
                                             RunSamples samples) throws IOException {
        TrainConfig train = config.train();
        Checkpoint.Provenance provenance = RunProvenance.forCheckpoints(config, info, threads);
        List<Long> committed = Checkpoint.committed(storage, run);
        lease.recordTakeover(committed.isEmpty() ? -1 : committed.get(committed.size() - 1));
        if (!committed.isEmpty()) {
            long from = committed.get(committed.size() - 1);
            JsonNode recorded = Checkpoint.stateJson(storage, run.checkpoint(from));
            ResumeChecks.requireSameNormalisation(recorded, RunProvenance.normalisation(config), run, from);
            ResumeChecks.requireSameDirection(recorded, RunProvenance.direction(config), run, from);
            ResumeChecks.requireSameDataset(recorded, info, config.data().shards(), run, from);
            GanState state = Checkpoint.read(storage, run, from, train, RunNetworks.spectralNorm(config, replica.architecture()),
                    replica.generatorLayout());
            ResumeChecks.requireSameModel(state, replica, run, from);
            ResumeChecks.warnOnOtherThreads(recorded, threads, run, from);
            ResumeChecks.warnOnOtherKernels(recorded, executors, run, from); // the JVMs that will run steps
            MetricsLog metrics = MetricsLog.resume(storage, run.metrics(), from, lease::check);
            storage.writeString(run.runConf(), config.renderedForRunDirectory());
            LOG.info("train: resuming {} from its checkpoint at step {} (of {})", run.root(), from, train.steps());
            return new TrainingJob(config, storage, run, replica, state, metrics, provenance, lease, samples, from);
        }
        if (storage.list(run.root()).stream().anyMatch(e -> !e.getPath().getName().equals(DirectoryLease.DIR))) {
            // an attempt that died before its first checkpoint: nothing in it is worth keeping
            LOG.info("train: {} holds an attempt without a committed checkpoint; starting it over", run.root());
            run.clearExceptLease(storage);
        }
        storage.mkdirs(run.root());
        storage.writeString(run.runConf(), config.renderedForRunDirectory());
        storage.writeString(run.provenance(), RunProvenance.json(config, sc, info, sync, threads,
                JvmPlatforms.withExecutors(JvmPlatforms.here(), executors)));
        GanArchitecture architecture = replica.architecture();
        GanState state = new GanState(GanNetwork.of(architecture).generatorLayout().initialise(Noise.seed(train.seed(), 'G')),
                GanNetwork.of(architecture).discriminatorLayout().initialise(Noise.seed(train.seed(), 'D')), train,
                RunNetworks.spectralNorm(config, architecture), replica.generatorLayout());
        TrainingJob job = new TrainingJob(config, storage, run, replica, state,
                new MetricsLog(storage, run.metrics(), lease::check), provenance, lease, samples, -1);
        job.writeSample();
        return job;
    }

    /** Runs the steps up to train.steps, with sample grids and checkpoints at their stops. */
    private void loop(StepRunner steps) throws IOException {
        Progress progress = new Progress(train, metrics);
        try {
            while (state.step() < train.steps()) {
                steps.runSteps(nextStop(state.step(), train), progress::stepDone);
                long done = state.step();
                boolean last = done == train.steps();
                if (done % train.sampleEvery() == 0 || last) {
                    writeSample();
                }
                if (done % train.checkpointEvery() == 0 || last) {
                    writeCheckpoint(steps.jvmsSinceLastCall());
                }
            }
        } catch (IOException | UncheckedIOException e) { // a sample grid or metrics.jsonl that cannot be written
            throw new TrainingException("step " + state.step() + ": writing to " + run.root() + " failed (" + e
                    + ")." + WriteFailures.fullHint(e) + lastGood(), state.step());
        } catch (TrainingException e) {
            throw new TrainingException(e.getMessage() + lastGood(), e.step());
        } catch (Exception e) { // Spark's SparkException is checked, but Scala throws it undeclared
            DatasetChangedException changed = DatasetChangedException.in(e); // from any executor, even as text
            if (changed == null) {
                throw e;
            }
            throw new TrainingException("step " + (state.step() + 1) + ": " + changed.getMessage() + "." + lastGood(),
                    state.step());
        } finally {
            try {
                metrics.flush();
            } catch (DirectoryLease.LeaseException lost) {
                // another driver has the run now: this one writes nothing more
            }
        }
    }

    private String lastGood() {
        return lastCheckpoint >= 0 ? " The last good checkpoint is " + run.checkpoint(lastCheckpoint) + "."
                : " No checkpoint had been written yet.";
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

    private void writeSample() throws IOException {
        lease.check();
        storage.writeAtomically(run.sample(state.step()), samples.png(state.samplingGenerator(), state.step()));
    }

    /** A checkpoint of the current state; {@code jvms} ran its steps since the last one. */
    private void writeCheckpoint(List<Map<String, Object>> jvms) throws IOException {
        long step = state.step();
        metrics.flush();
        long writeStarted = System.nanoTime();
        try {
            Path dir = Checkpoint.write(storage, run, state, replica, provenance.withJvms(jvms), lease);
            double seconds = (System.nanoTime() - writeStarted) / 1e9;
            checkpointSeconds += seconds;
            LOG.info("train: checkpoint {} ({})", dir, Progress.duration(seconds));
        } catch (IOException e) {
            throw new TrainingException("step " + step + ": writing checkpoint " + run.checkpoint(step)
                    + " failed (" + WriteFailures.firstLine(e) + "); it is not committed and readers ignore it." + WriteFailures.fullHint(e), step);
        }
        lastCheckpoint = step;
        lease.check(); // retention deletes: only under the lease
        try {
            CheckpointRetention.apply(storage, run, train.keepCheckpoints());
        } catch (IOException e) {
            // old checkpoints left behind cost space, not correctness: the next checkpoint retries
            LOG.warn("train: could not delete old checkpoints in {}: {}", run.checkpoints(), e.toString());
        }
    }

    /** Marks the run finished ({@code _SUCCESS}, written last). */
    private Result finish(DatasetInfo info) throws IOException {
        double wall = (System.nanoTime() - started) / 1e9;
        String gSha = Checkpoint.paramsSha256(state.generator());
        String dSha = Checkpoint.paramsSha256(state.discriminator());
        ObjectNode success = Json.object();
        success.put("steps", state.step());
        success.put("wall_time_s", wall);
        success.put("checkpoint_time_s", checkpointSeconds);
        success.putObject("params_sha256").put("generator", gSha).put("discriminator", dSha);
        success.put("finished_at", Instant.now().toString());
        lease.check();
        storage.writeString(run.success(), Json.pretty(success));
        LOG.info("train: finished {} steps in {} (checkpoint writes {}, {}%); run directory {}", state.step(),
                Progress.duration(wall), Progress.duration(checkpointSeconds),
                String.format(Locale.ROOT, "%.1f", 100 * checkpointSeconds / wall), run.root());
        return new Result(run, state.step(), state.generator().clone(), state.discriminator().clone(), gSha, dSha,
                wall, info, false);
    }
}

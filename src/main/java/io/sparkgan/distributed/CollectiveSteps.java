package io.sparkgan.distributed;

import io.sparkgan.config.TrainConfig;
import io.sparkgan.data.DatasetChangedException;
import io.sparkgan.data.WorkerInput;
import io.sparkgan.runtime.ExecutorThreads;
import io.sparkgan.runtime.WrongKernelException;
import io.sparkgan.step.GanState;
import io.sparkgan.step.RoundCost;
import io.sparkgan.step.StepStats;
import io.sparkgan.step.TrainingException;
import java.io.IOException;
import java.io.Serializable;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.collection.Iterator;
import scala.collection.JavaConverters;

import scala.reflect.ClassTag$;

/**
 * train.sync = collective: one Spark barrier job runs up to train.steps-per-job steps. Spark starts
 * all W tasks together; they connect into a chain, and each step every task computes its gradient
 * sums and all-reduces them with the others ({@link CollectiveWorker}), then applies the same
 * optimiser step to its own replica. The driver only sends the state out at the start of a job and
 * takes it back from task 0 at the end. This pays Spark's per-job cost once per job instead of once
 * per round; docs/performance.md has the figures.
 *
 * <p>A failed task fails the whole barrier stage, and Spark does not retry a barrier stage that
 * returns results to the driver: this class runs the job again, from the state it started with, up
 * to as many times as Spark would attempt one task ({@code spark.task.maxFailures}; in local mode the
 * F of {@code local[N,F]}, else once). A retried job gives the same parameters as an unfailed one.
 */
final class CollectiveSteps implements StepRunner {
    /** A worker this much slower than the fastest, and by this much in a job, is named in the log. */
    static final double STRAGGLER_RATIO = 1.25;
    private static final long STRAGGLER_NANOS = 200_000_000L;
    private static final Logger LOG = LoggerFactory.getLogger(CollectiveSteps.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final JavaSparkContext sc;
    private final JavaRDD<WorkerInput> partitions;
    private final TrainConfig train;
    private final RoundRequest.Settings settings;
    private final GanState state;
    private final Rendezvous rendezvous;
    private final TaskSlots slots;
    private final PlatformLog platforms;
    private boolean warm; // a job has run: the executors' code is compiled, their caches filled
    private boolean rerun; // the last job ran more than once

    CollectiveSteps(JavaSparkContext sc, JavaRDD<WorkerInput> partitions, TrainConfig train,
                    RoundRequest.Settings settings, GanState state) {
        this.sc = sc;
        this.partitions = partitions;
        this.train = train;
        this.settings = settings;
        this.state = state;
        this.slots = new TaskSlots(sc);
        this.platforms = new PlatformLog(sc);
        String advertised = sc.getConf().get("spark.driver.host");
        try {
            this.rendezvous = new Rendezvous(sc.getConf().get("spark.driver.bindAddress", advertised), advertised);
        } catch (IOException e) {
            throw new TrainingException("train.sync = collective: cannot open the rendezvous port on the driver ("
                    + advertised + "): " + e.getMessage() + "; use train.sync = driver", state.step());
        }
    }

    @Override
    public void runSteps(long until, Consumer<StepStats> onStep) {
        long started = System.nanoTime();
        long from = state.step();
        long stop = Math.min(until, from + train.stepsPerJob());
        byte[] token = new byte[32];
        RANDOM.nextBytes(token);
        Broadcast<CollectiveWorker.Job> job = sc.broadcast(new CollectiveWorker.Job(state.copy(), stop, train,
                settings, token, rendezvous.address()));
        long broadcastNanos = System.nanoTime() - started;
        List<CollectiveWorker.Result> results;
        try {
            results = runJob(job, token, from, stop);
        } finally {
            rendezvous.forget(token);
            job.destroy(false);
        }
        CollectiveWorker.Result first = results.stream().min(Comparator.comparingInt(CollectiveWorker.Result::rank))
                .orElseThrow();
        for (CollectiveWorker.Result r : results) {
            if (r.fingerprint() != first.fingerprint()) {
                throw new TrainingException("steps " + (from + 1) + "-" + stop + ": worker " + r.rank()
                        + " ended with parameters different from worker 0's; the replicas diverged (a bug: please"
                        + " report it with the run's run.conf). Nothing after the last checkpoint is kept.", from);
            }
        }
        if (warm && !rerun) { // a run's first job, or one rerun on a new executor, is mostly warm-up
            warnOfStraggler(from, stop, results);
        }
        warm = true;
        state.copyFrom(first.state());
        // The job's own cost (launch, shipping the state out and back) is synchronisation too: spread
        // it over the job's steps so that every logged step shows its share.
        List<StepStats> stats = first.stats();
        long inSteps = stats.stream().mapToLong(StepStats::wallNanos).sum();
        long overhead = Math.max(0, System.nanoTime() - started - inSteps);
        long stateBytes = 4 * state.floatCount() * 2; // out to the tasks and back from task 0
        int n = Math.max(1, stats.size());
        RoundCost share = new RoundCost(overhead / n, 0, 0, broadcastNanos / n, stateBytes / n);
        for (StepStats s : stats) {
            onStep.accept(s.plusJobOverhead(share));
        }
        if (first.failure() != null) {
            throw new TrainingException(first.failure(), first.failedStep());
        }
    }

    /**
     * Every round waits for the slowest worker, so one slow executor (a busy neighbour, a slower
     * machine, long GC pauses) sets the pace of all; Spark's UI cannot show which one, since the
     * tasks of a barrier stage all take as long as the slowest. Say so when one stands out.
     */
    private static void warnOfStraggler(long from, long stop, List<CollectiveWorker.Result> results) {
        CollectiveWorker.Result slowest = results.stream()
                .max(Comparator.comparingLong(CollectiveWorker.Result::computeNanos)).orElseThrow();
        CollectiveWorker.Result fastest = results.stream()
                .min(Comparator.comparingLong(CollectiveWorker.Result::computeNanos)).orElseThrow();
        double ratio = slowest.computeNanos() / (double) Math.max(1, fastest.computeNanos());
        if (ratio >= STRAGGLER_RATIO && slowest.computeNanos() - fastest.computeNanos() >= STRAGGLER_NANOS) {
            LOG.warn(String.format(Locale.ROOT, "steps %d-%d: worker %d (%s) computed for %.1f s, %.2f× the fastest"
                    + " (worker %d, %.1f s); every step waits for the slowest worker (docs/performance.md,"
                    + " \"Stragglers\")", from + 1, stop, slowest.rank(), slowest.executor(),
                    slowest.computeNanos() / 1e9, ratio, fastest.rank(), fastest.computeNanos() / 1e9));
        }
    }

    /**
     * Runs the job's barrier stage, again from its starting state when it fails, up to as many times
     * as Spark would try one task; a stage Spark could not start for want of slots is waited for, not
     * counted.
     */
    private List<CollectiveWorker.Result> runJob(Broadcast<CollectiveWorker.Job> job, byte[] token, long from,
                                                 long stop) {
        List<CollectiveWorker.Result> results = null;
        int attempts = ExecutorThreads.taskAttempts(sc.master(), sc.getConf());
        try {
            for (int attempt = 1; results == null; attempt++) {
                String group = "sparkgan-collective-" + HexFormat.of().formatHex(token, 0, 4) + "-" + attempt;
                sc.setJobGroup(group, "sparkgan steps " + (from + 1) + "-" + stop + " of " + train.steps()
                        + " (collective, " + train.workers() + " tasks" + (attempt > 1 ? ", attempt " + attempt : "")
                        + ")", true);
                slots.await(train.workers(), train.executorWaitSeconds(), from, stop);
                rendezvous.expect(token, train.workers());
                try {
                    results = slots.run(group, train.workers(),
                            () -> run(partitions.rdd(), job, platforms).toJavaRDD().collect());
                    platforms.absorb();
                    slots.started();
                    rerun = attempt > 1;
                } catch (Exception e) { // Spark's SparkException is checked, but Scala throws it undeclared
                    WrongKernelException wrongKernel = WrongKernelException.in(e);
                    if (wrongKernel != null) {
                        throw wrongKernel; // the same kernel would be as wrong on the next attempt
                    }
                    DatasetChangedException changed = DatasetChangedException.in(e);
                    if (changed != null) {
                        throw changed; // so would the same shard
                    }
                    if (slots.stranded() || TaskSlots.isSlotShortage(e)) { // the job never started: not a failed attempt
                        slots.shortage(train.workers(), train.executorWaitSeconds(), from, stop);
                        attempt--;
                        continue;
                    }
                    if (attempt >= attempts) {
                        throw new TrainingException("steps " + (from + 1) + "-" + stop + ": the collective job failed"
                                + (attempts > 1 ? " " + attempts + " times" : "") + "; " + cause(e)
                                + ". Nothing after step " + from + " was kept.", from);
                    }
                    LOG.warn("train: the collective job for steps {}-{} failed (attempt {} of {}): {}; running it"
                            + " again from step {}", from + 1, stop, attempt, attempts, cause(e), from + 1);
                }
            }
        } finally {
            sc.sc().clearJobGroup(); // the group (cancellable, interrupting) ends with the job
        }
        return results;
    }

    /**
     * What went wrong, from Spark's job failure: its message carries the failed task's exception as
     * text, and a collective task's exception names the task where the failure began and why.
     */
    static String cause(Throwable e) {
        String message = String.valueOf(e.getMessage());
        String marker = CollectiveWorker.CollectiveJobException.class.getName() + ": ";
        for (String line : message.split("\n")) {
            int at = line.indexOf(marker);
            if (at >= 0) {
                return line.substring(at + marker.length()).strip();
            }
        }
        String first = message.strip();
        int newline = first.indexOf('\n');
        return newline < 0 ? first : first.substring(0, newline);
    }

    private static RDD<CollectiveWorker.Result> run(RDD<WorkerInput> partitions,
                                                    Broadcast<CollectiveWorker.Job> job, PlatformLog log) {
        return partitions.barrier().mapPartitions(
                (scala.Function1<Iterator<WorkerInput>,
                        Iterator<CollectiveWorker.Result>> & Serializable) it -> {
                    var results = CollectiveWorker.run(JavaConverters.asJavaIteratorConverter(it).asJava(),
                            job.value());
                    log.record();
                    return JavaConverters.asScalaIteratorConverter(results).asScala();
                },
                false, ClassTag$.MODULE$.apply(CollectiveWorker.Result.class));
    }

    @Override
    public List<Map<String, Object>> jvmsSinceLastCall() {
        return platforms.drain();
    }

    @Override
    public String describe() {
        return "one barrier job per up to " + train.stepsPerJob() + " steps, gradients all-reduced among the "
                + train.workers() + " workers (train.sync = collective)";
    }

    @Override
    public void close() {
        slots.close();
        rendezvous.close();
        partitions.unpersist(false);
    }
}

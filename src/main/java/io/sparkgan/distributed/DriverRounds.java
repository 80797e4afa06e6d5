package io.sparkgan.distributed;

import io.sparkgan.config.TrainConfig;
import io.sparkgan.data.WorkerInput;
import io.sparkgan.step.GanState;
import io.sparkgan.step.GanStep;
import io.sparkgan.step.Round;
import io.sparkgan.step.RoundCost;
import io.sparkgan.step.RoundSums;
import io.sparkgan.step.Rounds;
import io.sparkgan.step.StepStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * train.sync = driver: the driver runs {@link GanStep}, and each of its rounds is a Spark job, as in
 * MLlib's mini-batch SGD: publish the parameters, run {@link PartitionWorker} over the cached
 * partitions, bring the sums back and add them up in partition order. The driver applies the
 * optimiser. Runs on any cluster, dynamic allocation included.
 *
 * <p>Each network's parameters are broadcast only when they changed since the last round. In the
 * alternating order the generator does not change between a step's D round and its G round, so it
 * is sent once per step instead of twice; only the (smaller) discriminator goes out twice.
 */
final class DriverRounds implements StepRunner, Rounds {
    private final JavaSparkContext sc;
    private final JavaRDD<WorkerInput> partitions;
    private final TrainConfig train;
    private final RoundRequest.Settings settings;
    private final GanStep step;
    private final PlatformLog platforms;
    private final Published generator = new Published();
    private final Published discriminator = new Published();

    DriverRounds(JavaSparkContext sc, JavaRDD<WorkerInput> partitions, TrainConfig train,
                 RoundRequest.Settings settings, GanState state) {
        this.sc = sc;
        this.partitions = partitions;
        this.train = train;
        this.settings = settings;
        this.step = new GanStep(train, this, state);
        this.platforms = new PlatformLog(sc);
    }

    /** One step at a time, so that progress shows after every step. */
    @Override
    public void runSteps(long until, Consumer<StepStats> onStep) {
        onStep.accept(step.run());
    }

    @Override
    public RoundSums run(Round round, GanState state) {
        long started = System.nanoTime();
        long floatsSent = generator.publish(sc, state.generator(), state.generatorVersion())
                + discriminator.publish(sc, state.discriminatorInUse(), state.discriminatorVersion());
        long broadcastNanos = System.nanoTime() - started;
        RoundRequest request = new RoundRequest(round, settings);
        Broadcast<float[]> g = generator.handle;
        Broadcast<float[]> d = discriminator.handle;
        sc.setJobDescription("sparkgan " + round.describe(train.steps(), train.dStepsPerGStep()));
        PlatformLog log = platforms;
        List<PartitionResult> results = new ArrayList<>(partitions.map(p -> {
            PartitionResult result = PartitionWorker.run(request, g.value(), d.value(), p);
            log.record();
            return result;
        }).collect());
        platforms.absorb();
        results.sort(Comparator.comparingInt(PartitionResult::partition));
        RoundSums sums = RoundSums.inWorkerOrder(results.stream().map(PartitionResult::sums).toList());
        long bytes = 4 * floatsSent + results.stream().mapToLong(PartitionResult::gradientBytes).sum();
        return sums.withCost(new RoundCost(System.nanoTime() - started, sums.statistics().computeNanos(),
                sums.statistics().dataWaitNanos(), broadcastNanos, bytes));
    }

    @Override
    public List<Map<String, Object>> jvmsSinceLastCall() {
        return platforms.drain();
    }

    @Override
    public String describe() {
        return "a Spark job per round, gradients summed on the driver (train.sync = driver)";
    }

    @Override
    public void close() {
        generator.destroy();
        discriminator.destroy();
        partitions.unpersist(false);
    }

    /** One network's parameters as the executors currently see them. */
    private static final class Published {
        private Broadcast<float[]> handle;
        private long version = -1;

        /** Broadcasts a copy of {@code values} unless {@code version} is already out; returns floats sent. */
        long publish(JavaSparkContext sc, float[] values, long newVersion) {
            if (handle != null && version == newVersion) {
                return 0;
            }
            destroy();
            // A copy: the driver goes on updating its array in place, and in local mode the executors
            // would otherwise read the driver's live array rather than a snapshot.
            handle = sc.broadcast(values.clone());
            version = newVersion;
            return values.length;
        }

        void destroy() {
            if (handle != null) {
                handle.destroy(false);
                handle = null;
            }
        }
    }
}

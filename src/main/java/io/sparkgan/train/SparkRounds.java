package io.sparkgan.train;

import io.sparkgan.config.TrainConfig;
import io.sparkgan.model.GanArchitecture;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * A round on Spark, as in MLlib's mini-batch SGD: publish the parameters, run
 * {@link PartitionWorker} over the cached partitions, bring the sums back in partition order.
 *
 * <p>Each network's parameters are broadcast only when they changed since the last round. In the
 * alternating order the generator does not change between a step's D round and its G round, so it
 * is sent once per step instead of twice; only the (smaller) discriminator goes out twice.
 */
final class SparkRounds implements Rounds {
    private final JavaSparkContext sc;
    private final JavaRDD<TrainingPartition> partitions;
    private final GanArchitecture architecture;
    private final TrainConfig train;
    private final int threads;
    private final Published generator = new Published();
    private final Published discriminator = new Published();

    SparkRounds(JavaSparkContext sc, JavaRDD<TrainingPartition> partitions, GanArchitecture architecture,
                TrainConfig train, int threads) {
        this.sc = sc;
        this.partitions = partitions;
        this.architecture = architecture;
        this.train = train;
        this.threads = threads;
    }

    @Override
    public RoundSums run(RoundRequest.Kind kind, long step, int dRound, long batchNumber, GanState state,
                         String description) {
        long started = System.nanoTime();
        long sentFloats = generator.publish(sc, state.generator, state.generatorVersion)
                + discriminator.publish(sc, state.discriminator, state.discriminatorVersion);
        long broadcastNanos = System.nanoTime() - started;
        RoundRequest request = RoundRequest.of(kind, step, dRound, batchNumber, architecture, train, threads);
        Broadcast<float[]> g = generator.handle;
        Broadcast<float[]> d = discriminator.handle;
        sc.setJobDescription(description);
        List<PartitionResult> results = new ArrayList<>(
                partitions.map(p -> PartitionWorker.run(request, g.value(), d.value(), p)).collect());
        results.sort(Comparator.comparingInt(PartitionResult::partition));
        return RoundSums.of(results, sentFloats, broadcastNanos, System.nanoTime() - started);
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

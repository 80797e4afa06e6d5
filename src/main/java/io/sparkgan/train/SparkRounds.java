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
 * A round on Spark, as in MLlib's mini-batch SGD: broadcast the parameters, run
 * {@link PartitionWorker} over the cached partitions, bring the sums back, destroy the broadcast.
 */
final class SparkRounds implements Rounds {
    private final JavaSparkContext sc;
    private final JavaRDD<TrainingPartition> partitions;
    private final GanArchitecture architecture;
    private final TrainConfig train;
    private final int threads;

    SparkRounds(JavaSparkContext sc, JavaRDD<TrainingPartition> partitions, GanArchitecture architecture,
                TrainConfig train, int threads) {
        this.sc = sc;
        this.partitions = partitions;
        this.architecture = architecture;
        this.train = train;
        this.threads = threads;
    }

    @Override
    public RoundSums run(RoundRequest.Kind kind, long step, int dRound, long batchNumber, float[] generator,
                         float[] discriminator, String description) {
        long started = System.nanoTime();
        RoundRequest request = new RoundRequest(kind, step, dRound, batchNumber, generator, discriminator,
                architecture, train.loss(), train.realTarget(), train.batchPerWorker(), train.seed(), train.shuffle(),
                threads);
        Broadcast<RoundRequest> broadcast = sc.broadcast(request);
        sc.setJobDescription(description);
        List<PartitionResult> results;
        try {
            results = new ArrayList<>(partitions.map(p -> PartitionWorker.run(broadcast.value(), p)).collect());
        } finally {
            broadcast.destroy(false);
        }
        results.sort(Comparator.comparingInt(PartitionResult::partition));
        return RoundSums.of(results, System.nanoTime() - started);
    }

    @Override
    public void close() {
        partitions.unpersist(false);
    }
}

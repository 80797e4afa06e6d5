package io.sparkgan.train;

import io.sparkgan.collective.ChainAllReduce;
import io.sparkgan.config.TrainConfig;
import io.sparkgan.model.GanArchitecture;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A round inside a collective job, on one worker: compute this partition's gradient sums exactly as
 * {@link PartitionWorker} does for a driver round, then all-reduce them with the other workers. Every
 * worker gets the same {@link RoundSums} the driver would have computed from the same results, so
 * each can apply the optimiser step itself and all replicas stay identical.
 */
final class CollectiveRounds implements Rounds {
    private final ChainAllReduce allReduce;
    private final TrainingPartition partition;
    private final GanArchitecture architecture;
    private final TrainConfig train;
    private final int threads;

    CollectiveRounds(ChainAllReduce allReduce, TrainingPartition partition, GanArchitecture architecture,
                     TrainConfig train, int threads) {
        this.allReduce = allReduce;
        this.partition = partition;
        this.architecture = architecture;
        this.train = train;
        this.threads = threads;
    }

    @Override
    public RoundSums run(RoundRequest.Kind kind, long step, int dRound, long batchNumber, GanState state,
                         String description) {
        long started = System.nanoTime();
        RoundRequest request = RoundRequest.of(kind, step, dRound, batchNumber, architecture, train, threads);
        PartitionResult mine = PartitionWorker.run(request, state.generator, state.discriminator, partition);
        float[] d = mine.discriminatorGradient();
        float[] g = mine.generatorGradient();
        float[][] vectors = d == null ? new float[][] {g} : g == null ? new float[][] {d} : new float[][] {d, g};
        double[] sums = {mine.discriminatorLoss(), mine.generatorLoss(), mine.realScore(), mine.fakeScore(),
                mine.images()};
        double[] maxima = {mine.computeNanos()};
        try {
            allReduce.allReduce(vectors, sums, maxima);
        } catch (IOException e) {
            throw new UncheckedIOException("step " + (step + 1) + ", worker " + allReduce.rank() + " of "
                    + allReduce.size() + ": " + e.getMessage(), e);
        }
        long floats = (d == null ? 0 : d.length) + (g == null ? 0 : g.length);
        // every link carries the vector and the statistics once each way
        long bytes = 2L * (allReduce.size() - 1) * (4 * floats + 8L * (sums.length + maxima.length));
        return RoundSums.reduced(d, g, sums[0], sums[1], sums[2], sums[3], (long) sums[4], (long) maxima[0],
                System.nanoTime() - started, bytes);
    }

    @Override
    public void close() {
        // the all-reduce belongs to the job that opened it
    }
}

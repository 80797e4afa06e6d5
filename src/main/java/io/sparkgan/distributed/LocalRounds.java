package io.sparkgan.distributed;

import io.sparkgan.data.WorkerInput;
import io.sparkgan.step.GanState;
import io.sparkgan.step.Round;
import io.sparkgan.step.RoundCost;
import io.sparkgan.step.RoundSums;
import io.sparkgan.step.Rounds;

/**
 * Rounds of one worker in this thread, without Spark: what an executor computes for a round, alone.
 * {@code sparkgan bench} times the GAN step with it (the ceiling the cluster step is compared to).
 */
public final class LocalRounds implements Rounds {
    private final WorkerInput partition;
    private final RoundRequest.Settings settings;

    public LocalRounds(WorkerInput partition, RoundRequest.Settings settings) {
        this.partition = partition;
        this.settings = settings;
    }

    @Override
    public RoundSums run(Round round, GanState state) {
        long started = System.nanoTime();
        RoundSums sums = PartitionWorker.run(new RoundRequest(round, settings), state.generator(),
                state.discriminatorInUse(), partition).sums();
        return sums.withCost(new RoundCost(System.nanoTime() - started, sums.statistics().computeNanos(),
                sums.statistics().dataWaitNanos(), 0, 0));
    }
}

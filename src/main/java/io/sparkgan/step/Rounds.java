package io.sparkgan.step;

/**
 * Runs one round on every worker and returns the sums. The step talks to the cluster only through
 * this: on the driver a Spark job per round ({@code distributed.DriverRounds}), inside a collective
 * job an all-reduce among the tasks ({@code distributed.CollectiveWorker}), in unit tests a fake.
 */
public interface Rounds {
    /** Runs {@code round} against the current parameters in {@code state}, which it only reads. */
    RoundSums run(Round round, GanState state);
}

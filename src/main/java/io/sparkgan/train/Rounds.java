package io.sparkgan.train;

/**
 * Runs one round of gradient computation on every worker and returns the sums. The training step
 * talks to the cluster only through this.
 */
interface Rounds extends AutoCloseable {
    /** Runs one round against the current parameters in {@code state}, which it only reads. */
    RoundSums run(RoundRequest.Kind kind, long step, int dRound, long batchNumber, GanState state,
                  String description);

    @Override
    void close();
}

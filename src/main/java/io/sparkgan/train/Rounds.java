package io.sparkgan.train;

/**
 * Runs one round of gradient computation on every worker and returns the sums. The training step
 * talks to the cluster only through this.
 */
interface Rounds extends AutoCloseable {
    RoundSums run(RoundRequest.Kind kind, long step, int dRound, long batchNumber, float[] generator,
                  float[] discriminator, String description);

    @Override
    void close();
}

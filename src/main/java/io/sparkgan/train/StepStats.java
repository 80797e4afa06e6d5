package io.sparkgan.train;

/**
 * What one training step measured, as means over the global batch.
 *
 * @param discriminatorLoss D's loss (of its last round in the step)
 * @param realScore mean D(x)
 * @param fakeScore mean D(G(z)) in D's round
 * @param fakeScoreAfter mean D(G(z)) in G's round, against the updated D
 * @param discriminatorSkipped D updates skipped in this step (train.d-skip-below)
 * @param nonFiniteSkipped updates skipped in this step for a NaN or infinite loss or gradient
 * @param syncNanos round wall time not spent in executor compute (scheduling, transfer, summing)
 * @param broadcastNanos the part of {@code syncNanos} the driver spent publishing parameters
 * @param bytesMoved parameter bytes broadcast plus gradient bytes returned, over all rounds
 */
record StepStats(long step, double discriminatorLoss, double generatorLoss, double realScore, double fakeScore,
                 double fakeScoreAfter, double discriminatorGradNorm, double generatorGradNorm,
                 int discriminatorSkipped, int nonFiniteSkipped, long images, long computeNanos, long syncNanos, long broadcastNanos,
                 long updateNanos, long bytesMoved, long wallNanos) implements java.io.Serializable {

    /** These stats with {@code extra} nanoseconds of synchronisation (and of it, broadcast) and bytes added. */
    StepStats plusSync(long extraNanos, long extraBroadcastNanos, long extraBytes) {
        return new StepStats(step, discriminatorLoss, generatorLoss, realScore, fakeScore, fakeScoreAfter,
                discriminatorGradNorm, generatorGradNorm, discriminatorSkipped, nonFiniteSkipped, images, computeNanos,
                syncNanos + extraNanos, broadcastNanos + extraBroadcastNanos, updateNanos, bytesMoved + extraBytes,
                wallNanos + extraNanos);
    }
}

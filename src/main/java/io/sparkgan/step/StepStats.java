package io.sparkgan.step;

import java.io.Serializable;

/**
 * What one step measured: the statistics of its last D round and of its G round (the same round in
 * the simultaneous order), the gradient norms, the updates held back, and what the step cost.
 *
 * @param discriminatorPenalty D's gradient penalties per image, averaged over the step's D rounds (as
 *     they entered D's gradient, lazy factor included; 0 when none of them computed one)
 * @param discriminatorSkipped D updates skipped by the D-skip heuristic (train.d-skip-below)
 * @param nonFiniteSkipped updates skipped for a NaN or infinite loss or gradient
 * @param updateNanos time spent averaging gradients and applying the optimiser
 */
public record StepStats(long step, RoundStatistics discriminatorRound, RoundStatistics generatorRound,
                        double discriminatorPenalty, double discriminatorGradNorm, double generatorGradNorm, int discriminatorSkipped,
                        int nonFiniteSkipped, RoundCost cost, long updateNanos, long wallNanos)
        implements Serializable {

    public double discriminatorLoss() {
        return discriminatorRound.meanDiscriminatorLoss();
    }

    public double generatorLoss() {
        return generatorRound.meanGeneratorLoss();
    }

    /** Mean D(x). */
    public double realScore() {
        return discriminatorRound.meanRealScore();
    }

    /** Mean D(G(z)) in D's round. */
    public double fakeScore() {
        return discriminatorRound.meanFakeScore();
    }

    /** Mean D(G(z)) in G's round, against the updated D. */
    public double fakeScoreAfter() {
        return generatorRound.meanFakeScore();
    }

    /** Images in the global batch. */
    public long images() {
        return generatorRound.images();
    }

    /**
     * These figures with {@code extra} synchronisation added: a collective job's own cost (launch,
     * the state shipped out and back), spread over its steps.
     */
    public StepStats plusJobOverhead(RoundCost extra) {
        return new StepStats(step, discriminatorRound, generatorRound, discriminatorPenalty, discriminatorGradNorm,
                generatorGradNorm, discriminatorSkipped, nonFiniteSkipped, cost.plus(extra), updateNanos,
                wallNanos + extra.wallNanos());
    }
}

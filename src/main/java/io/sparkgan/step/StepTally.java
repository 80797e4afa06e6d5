package io.sparkgan.step;

/**
 * Folds a step's rounds and updates into its {@link StepStats}, so that {@link GanStep} only says
 * what happens in which order.
 */
final class StepTally {
    /** How an update ended. */
    enum Outcome { APPLIED, SKIPPED, NON_FINITE }

    /** One update: how it ended, the norm of the mean gradient it saw, its time. */
    record Update(Outcome outcome, double gradientNorm, long nanos) {}

    private final long step;
    private final long started = System.nanoTime();
    private RoundStatistics discriminatorRound;
    private RoundStatistics generatorRound;
    private RoundCost cost = RoundCost.ZERO;
    private double discriminatorGradNorm = Double.NaN;
    private double generatorGradNorm = Double.NaN;
    private int discriminatorSkipped;
    private int nonFiniteSkipped;
    private long updateNanos;
    private double penaltySum; // over the step's D rounds
    private long penaltyImages;

    StepTally(long step) {
        this.step = step;
    }

    /** Counts a round's cost; returns it for the step to use. */
    RoundSums round(RoundSums sums) {
        cost = cost.plus(sums.cost());
        return sums;
    }

    void discriminator(RoundSums round, Update update) {
        discriminatorRound = round.statistics();
        penaltySum += round.statistics().penalty();
        penaltyImages += round.statistics().images();
        discriminatorGradNorm = update.gradientNorm();
        count(update);
    }

    void generator(RoundSums round, Update update) {
        generatorRound = round.statistics();
        generatorGradNorm = update.gradientNorm();
        count(update);
    }

    private void count(Update update) {
        updateNanos += update.nanos();
        if (update.outcome() == Outcome.NON_FINITE) {
            nonFiniteSkipped++;
        } else if (update.outcome() == Outcome.SKIPPED) {
            discriminatorSkipped++;
        }
    }

    StepStats stats() {
        return new StepStats(step, discriminatorRound, generatorRound, penaltyImages == 0 ? 0 : penaltySum / penaltyImages,
                discriminatorGradNorm, generatorGradNorm, discriminatorSkipped, nonFiniteSkipped, cost, updateNanos,
                System.nanoTime() - started);
    }
}

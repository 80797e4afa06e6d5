package io.sparkgan.step;

import io.sparkgan.config.TrainConfig;
import io.sparkgan.model.GanLoss;
import io.sparkgan.step.StepTally.Outcome;
import io.sparkgan.step.StepTally.Update;

/**
 * One step of GAN training, in the order of Goodfellow et al.'s Algorithm 1 ("Generative Adversarial
 * Nets", 2014): k discriminator updates, each on a real and a generated minibatch, then one generator
 * update through the updated discriminator. Every worker computes gradient sums on its own minibatch
 * ({@link Rounds}); the mean of the sums goes through the optimiser once, so every replica starts
 * the next round from the same parameters.
 *
 * <p>Which JVM runs this: in driver mode (train.sync = driver) the driver, whose rounds are Spark
 * jobs, so Adam runs on the driver; in collective mode every task of the barrier job runs it on its
 * own replica, whose rounds are all-reduces among the tasks, so each task applies the same Adam step
 * to the same sums and all replicas stay identical.
 */
public final class GanStep {
    private final TrainConfig train;
    private final Rounds rounds;
    private final GanState state;

    /** A step that updates {@code state} in place, one step per {@link #run}. */
    public GanStep(TrainConfig train, Rounds rounds, GanState state) {
        this.train = train;
        this.rounds = rounds;
        this.state = state;
    }

    /** Runs step {@code state.step()} and advances the state to the next. */
    public StepStats run() {
        long step = state.step;
        StepTally tally = new StepTally(step);
        if (train.order() == TrainConfig.StepOrder.SIMULTANEOUS) {
            simultaneous(step, tally);
        } else {
            alternating(step, tally);
        }
        state.guard.stepDone(step);
        state.step++;
        return tally.stats();
    }

    /** Algorithm 1: k rounds of D, each followed by D's update; then G's round and G's update. */
    private void alternating(long step, StepTally tally) {
        for (int r = 0; r < train.dStepsPerGStep(); r++) {
            RoundSums d = tally.round(rounds.run(Round.discriminator(step, r), state));
            tally.discriminator(d, updateDiscriminator(step, d));
        }
        RoundSums g = tally.round(rounds.run(Round.generator(step), state));
        tally.generator(g, updateGenerator(step, g));
    }

    /**
     * Simultaneous gradient descent (Mescheder, Nowozin and Geiger, "The Numerics of GANs", 2017):
     * both gradients from one round against the same D, then both updates.
     */
    private void simultaneous(long step, StepTally tally) {
        RoundSums both = tally.round(rounds.run(Round.both(step), state));
        long started = System.nanoTime();
        float[] dGradient = both.meanDiscriminatorGradient();
        float[] gGradient = both.meanGeneratorGradient();
        // both verdicts before either update: in this order both gradients came from the same D
        boolean dFinite = state.guard.admit(step, "discriminator", both.statistics().discriminatorLoss(), dGradient);
        boolean gFinite = state.guard.admit(step, "generator", both.statistics().generatorLoss(), gGradient);
        double dNorm = norm(dGradient); // before spectral norm's chain rule rewrites it
        Outcome d = dFinite ? applyDiscriminator(both, dGradient) : Outcome.NON_FINITE;
        Outcome g = gFinite ? applyGenerator(gGradient) : Outcome.NON_FINITE;
        tally.discriminator(both, new Update(d, dNorm, System.nanoTime() - started));
        tally.generator(both, new Update(g, norm(gGradient), 0));
    }

    private Update updateDiscriminator(long step, RoundSums d) {
        long started = System.nanoTime();
        float[] gradient = d.meanDiscriminatorGradient();
        double gradientNorm = norm(gradient); // before spectral norm's chain rule rewrites it
        Outcome outcome = state.guard.admit(step, "discriminator", d.statistics().discriminatorLoss(), gradient)
                ? applyDiscriminator(d, gradient) : Outcome.NON_FINITE;
        return new Update(outcome, gradientNorm, System.nanoTime() - started);
    }

    private Update updateGenerator(long step, RoundSums g) {
        long started = System.nanoTime();
        float[] gradient = g.meanGeneratorGradient();
        Outcome outcome = state.guard.admit(step, "generator", g.statistics().generatorLoss(), gradient)
                ? applyGenerator(gradient) : Outcome.NON_FINITE;
        return new Update(outcome, norm(gradient), System.nanoTime() - started);
    }

    /**
     * D's optimiser step, unless D is winning by a wide margin (train.d-skip-below &gt; 0: let G catch
     * up). 0 turns the heuristic off whatever the loss; a Wasserstein critic's loss has no floor, so
     * the configuration refuses a threshold with it.
     */
    private Outcome applyDiscriminator(RoundSums round, float[] gradient) {
        if (train.dSkipBelow() > 0 && round.statistics().meanDiscriminatorLoss() < train.dSkipBelow()) {
            return Outcome.SKIPPED;
        }
        if (state.spectralNorm != null) { // the rounds differentiated D's normalised weights
            state.spectralNorm.chainToRaw(gradient, state.discriminatorInUse);
        }
        state.discriminatorOptimiser.step(state.discriminator, gradient);
        state.discriminatorVersion++;
        if (train.loss() == GanLoss.WGAN) { // weight clipping keeps the critic Lipschitz (Arjovsky et al., 2017)
            float c = (float) train.wganClip();
            float[] d = state.discriminator;
            for (int i = 0; i < d.length; i++) {
                d[i] = Math.max(-c, Math.min(c, d[i]));
            }
        }
        if (state.spectralNorm != null) { // one power iteration per update (Miyato et al. 2018, Algorithm 1)
            state.spectralNorm.iterate(state.discriminator);
            state.renormalise();
        }
        return Outcome.APPLIED;
    }

    /**
     * G's optimiser step. G's buffers (StyleGAN2's w̄) are not the optimiser's: their means come out of
     * the gradient first, and the EMA generator takes them as they are.
     */
    private Outcome applyGenerator(float[] gradient) {
        TrackedBuffers buffers = state.generatorBuffers;
        float[][] means = buffers == null ? null : buffers.take(gradient);
        state.generatorOptimiser.step(state.generator, gradient);
        if (buffers != null) {
            buffers.track(state.generator, means);
        }
        state.generatorVersion++;
        if (state.generatorEma != null) {
            state.generatorEma.update(state.generator);
            if (buffers != null) {
                buffers.copy(state.generator, state.generatorEma.average());
            }
        }
        return Outcome.APPLIED;
    }

    static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }
}

package io.sparkgan.train;

import io.sparkgan.config.TrainConfig;
import io.sparkgan.model.GanLoss;

/**
 * One step of GAN training, in the order of Goodfellow et al.'s Algorithm 1 ("Generative Adversarial
 * Nets", 2014): k discriminator updates on real and generated minibatches, then one generator update
 * through the updated discriminator. Every worker computes gradient sums on its own minibatch; here
 * they are averaged and the optimiser applied once, so every replica starts the next round from the
 * same parameters.
 */
final class GanStep {
    private final TrainConfig train;
    private final Rounds rounds;
    private final GanState state;
    private final Guard guard;

    /** A step that updates {@code state} in place; {@code guard} carries the count of skipped steps. */
    GanStep(TrainConfig train, Rounds rounds, GanState state, Guard guard) {
        this.train = train;
        this.rounds = rounds;
        this.state = state;
        this.guard = guard;
    }

    StepStats run() {
        long step = state.step;
        long started = System.nanoTime();
        StepStats stats = train.order() == TrainConfig.StepOrder.SIMULTANEOUS
                ? simultaneous(step, started) : alternating(step, started);
        guard.stepDone(step);
        return stats;
    }

    private StepStats alternating(long step, long started) {
        int k = train.dStepsPerGStep();
        RoundSums d = null;
        long compute = 0;
        long sync = 0;
        long broadcast = 0;
        long bytes = 0;
        long update = 0;
        int skipped = 0;
        int nonFinite = 0;
        double dGradNorm = 0;
        for (int round = 0; round < k; round++) {
            d = rounds.run(RoundRequest.Kind.DISCRIMINATOR, step, round, step * k + round, state,
                    describe(step, "D round " + (round + 1) + "/" + k));
            compute += d.maxComputeNanos;
            sync += d.wallNanos - d.maxComputeNanos;
            broadcast += d.broadcastNanos;
            bytes += d.bytesMoved();
            long t = System.nanoTime();
            float[] gradient = RoundSums.mean(d.discriminatorGradient, d.images);
            dGradNorm = norm(gradient);
            if (!guard.admit(step, "discriminator", d.discriminatorLoss, gradient)) {
                nonFinite++;
            } else if (d.discriminatorLoss / d.images < train.dSkipBelow()) {
                skipped++; // D is winning by a wide margin: let G catch up (a GAN-balancing heuristic)
            } else {
                updateDiscriminator(gradient);
            }
            update += System.nanoTime() - t;
        }
        RoundSums g = rounds.run(RoundRequest.Kind.GENERATOR, step, 0, 0, state, describe(step, "G round"));
        compute += g.maxComputeNanos;
        sync += g.wallNanos - g.maxComputeNanos;
        broadcast += g.broadcastNanos;
        bytes += g.bytesMoved();
        long t = System.nanoTime();
        float[] gGradient = RoundSums.mean(g.generatorGradient, g.images);
        if (guard.admit(step, "generator", g.generatorLoss, gGradient)) {
            updateGenerator(gGradient);
        } else {
            nonFinite++;
        }
        update += System.nanoTime() - t;
        state.step++;
        return new StepStats(step, d.discriminatorLoss / d.images, g.generatorLoss / g.images, d.realScore / d.images,
                d.fakeScore / d.images, g.fakeScore / g.images, dGradNorm, norm(gGradient), skipped, nonFinite,
                g.images, compute, sync, broadcast, update, bytes, System.nanoTime() - started);
    }

    private StepStats simultaneous(long step, long started) {
        RoundSums both = rounds.run(RoundRequest.Kind.BOTH, step, 0, step, state, describe(step, "D and G round"));
        long t = System.nanoTime();
        float[] dGradient = RoundSums.mean(both.discriminatorGradient, both.images);
        float[] gGradient = RoundSums.mean(both.generatorGradient, both.images);
        // both verdicts before either update: in this order both gradients came from the same D
        boolean dFinite = guard.admit(step, "discriminator", both.discriminatorLoss, dGradient);
        boolean gFinite = guard.admit(step, "generator", both.generatorLoss, gGradient);
        int skipped = 0;
        if (dFinite && both.discriminatorLoss / both.images < train.dSkipBelow()) {
            skipped = 1;
        } else if (dFinite) {
            updateDiscriminator(dGradient);
        }
        if (gFinite) {
            updateGenerator(gGradient);
        }
        int nonFinite = (dFinite ? 0 : 1) + (gFinite ? 0 : 1);
        long update = System.nanoTime() - t;
        state.step++;
        return new StepStats(step, both.discriminatorLoss / both.images, both.generatorLoss / both.images,
                both.realScore / both.images, both.fakeScore / both.images, both.fakeScore / both.images,
                norm(dGradient), norm(gGradient), skipped, nonFinite, both.images, both.maxComputeNanos,
                both.wallNanos - both.maxComputeNanos, both.broadcastNanos, update, both.bytesMoved(),
                System.nanoTime() - started);
    }

    private void updateDiscriminator(float[] gradient) {
        state.discriminatorOptimiser.step(state.discriminator, gradient);
        state.discriminatorVersion++;
        if (train.loss() == GanLoss.WGAN) {
            float c = (float) train.wganClip();
            float[] d = state.discriminator;
            for (int i = 0; i < d.length; i++) {
                d[i] = Math.max(-c, Math.min(c, d[i]));
            }
        }
    }

    private void updateGenerator(float[] gradient) {
        state.generatorOptimiser.step(state.generator, gradient);
        state.generatorVersion++;
        if (state.generatorEma != null) {
            state.generatorEma.update(state.generator);
        }
    }

    private String describe(long step, String round) {
        return "sparkgan step " + (step + 1) + "/" + train.steps() + ": " + round;
    }

    static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }
}

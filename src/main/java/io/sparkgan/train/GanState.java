package io.sparkgan.train;

import io.sparkgan.config.TrainConfig;

/**
 * The driver's master copy of everything that changes during training: both networks' parameters,
 * their optimisers, the EMA generator and the step counter. A checkpoint saves exactly this.
 */
final class GanState {
    final float[] generator;
    final float[] discriminator;
    final Adam generatorOptimiser;
    final Adam discriminatorOptimiser;
    final Ema generatorEma; // null when train.ema-decay = 0
    /** The next step to run; steps done so far. */
    long step;
    /**
     * Bumped whenever {@link #generator} / {@link #discriminator} change, so that a round can tell
     * whether the copy the executors already hold is still current and skip re-sending it.
     */
    long generatorVersion;
    long discriminatorVersion;

    GanState(float[] generator, float[] discriminator, TrainConfig train) {
        this.generator = generator;
        this.discriminator = discriminator;
        this.generatorOptimiser = new Adam(generator.length, train.gLearningRate(), train.adamBeta1(),
                train.adamBeta2(), train.adamEpsilon());
        this.discriminatorOptimiser = new Adam(discriminator.length, train.dLearningRate(), train.adamBeta1(),
                train.adamBeta2(), train.adamEpsilon());
        this.generatorEma = train.emaDecay() > 0 ? new Ema(generator, train.emaDecay()) : null;
    }

    /** The generator to sample from: the EMA weights when enabled. */
    float[] samplingGenerator() {
        return generatorEma != null ? generatorEma.average() : generator;
    }
}

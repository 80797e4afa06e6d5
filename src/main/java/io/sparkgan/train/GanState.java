package io.sparkgan.train;

import io.sparkgan.config.TrainConfig;

/**
 * The driver's master copy of everything that changes during training: both networks' parameters,
 * their optimisers, the EMA generator and the step counter. A checkpoint saves exactly this.
 */
final class GanState implements java.io.Serializable {
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

    private GanState(GanState other) {
        this.generator = other.generator.clone();
        this.discriminator = other.discriminator.clone();
        this.generatorOptimiser = other.generatorOptimiser.copy();
        this.discriminatorOptimiser = other.discriminatorOptimiser.copy();
        this.generatorEma = other.generatorEma == null ? null : other.generatorEma.copy();
        this.step = other.step;
        this.generatorVersion = other.generatorVersion;
        this.discriminatorVersion = other.discriminatorVersion;
    }

    /** An independent deep copy. */
    GanState copy() {
        return new GanState(this);
    }

    /** Overwrites everything in this state with {@code other}'s values (same model and settings). */
    void copyFrom(GanState other) {
        System.arraycopy(other.generator, 0, generator, 0, generator.length);
        System.arraycopy(other.discriminator, 0, discriminator, 0, discriminator.length);
        generatorOptimiser.restore(other.generatorOptimiser.firstMoment(), other.generatorOptimiser.secondMoment(),
                other.generatorOptimiser.steps());
        discriminatorOptimiser.restore(other.discriminatorOptimiser.firstMoment(),
                other.discriminatorOptimiser.secondMoment(), other.discriminatorOptimiser.steps());
        if (generatorEma != null) {
            generatorEma.restore(other.generatorEma.average(), other.generatorEma.updates());
        }
        step = other.step;
        generatorVersion = other.generatorVersion;
        discriminatorVersion = other.discriminatorVersion;
    }

    /** Floats in this state: what a collective job ships out and back. */
    long floatCount() {
        return 3L * (generator.length + discriminator.length) + (generatorEma == null ? 0 : generator.length);
    }

    /** The generator to sample from: the EMA weights when enabled. */
    float[] samplingGenerator() {
        return generatorEma != null ? generatorEma.average() : generator;
    }
}

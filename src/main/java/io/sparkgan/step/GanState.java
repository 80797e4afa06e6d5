package io.sparkgan.step;

import io.sparkgan.config.TrainConfig;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.SpectralNorm;
import java.io.Serializable;

/**
 * Everything that changes during training: both networks' parameters, their optimisers, the EMA
 * generator, D's spectral-norm vectors, the guard's count of skipped steps and the step counter. A checkpoint saves exactly
 * this; a collective job ships it out to its tasks and back. {@link GanStep} updates it in place.
 */
public final class GanState implements Serializable {
    final float[] generator;
    final float[] discriminator;
    final Optimiser generatorOptimiser;
    final Optimiser discriminatorOptimiser;
    final Ema generatorEma; // null when train.ema-half-life = 0
    final Guard guard;
    final SpectralNorm spectralNorm; // null without model.spectral-norm
    final TrackedBuffers generatorBuffers; // null when G has no buffers
    /** D's parameters as the rounds use them: {@link #discriminator} itself, or spectrally normalised. */
    float[] discriminatorInUse;
    /** The next step to run; steps done so far. */
    long step;
    /**
     * Bumped whenever {@link #generator} / {@link #discriminator} change, so that a round can tell
     * whether the copy the executors already hold is still current and skip re-sending it.
     */
    long generatorVersion;
    long discriminatorVersion;

    /** The state at step 0 with the given initial parameters, without spectral normalisation. */
    public GanState(float[] generator, float[] discriminator, TrainConfig train) {
        this(generator, discriminator, train, null);
    }

    /**
     * The state at step 0 with the given initial parameters; {@code spectralNorm} (null for none) is
     * started here, its first vectors drawn from the run's seed.
     */
    public GanState(float[] generator, float[] discriminator, TrainConfig train, SpectralNorm spectralNorm) {
        this(generator, discriminator, train, spectralNorm, null);
    }

    /**
     * As above, for a G laid out as {@code generatorLayout}, whose buffers (StyleGAN2's w̄ and constant
     * noise) the step keeps out of the optimiser; null for a layout without any.
     */
    public GanState(float[] generator, float[] discriminator, TrainConfig train, SpectralNorm spectralNorm,
                    ParamLayout generatorLayout) {
        this.spectralNorm = spectralNorm;
        this.generatorBuffers = TrackedBuffers.of(generatorLayout);
        if (spectralNorm != null) {
            spectralNorm.start(discriminator, io.sparkgan.model.Noise.seed(train.seed(), 'S'));
        }
        this.generator = generator;
        this.discriminator = discriminator;
        this.generatorOptimiser = Optimiser.of(train, generator.length, train.gLearningRate());
        this.discriminatorOptimiser = Optimiser.of(train, discriminator.length, train.dLearningRate());
        this.generatorEma = train.emaHalfLife() > 0
                ? new Ema(generator, train.emaHalfLife(), train.emaRampup(), train.globalBatch()) : null;
        this.guard = new Guard(train);
        renormalise();
    }

    private GanState(GanState other) {
        this.generator = other.generator.clone();
        this.discriminator = other.discriminator.clone();
        this.generatorOptimiser = other.generatorOptimiser.copy();
        this.discriminatorOptimiser = other.discriminatorOptimiser.copy();
        this.generatorEma = other.generatorEma == null ? null : other.generatorEma.copy();
        this.guard = other.guard.copy();
        this.spectralNorm = other.spectralNorm == null ? null : other.spectralNorm.copy();
        this.generatorBuffers = other.generatorBuffers;
        this.discriminatorInUse = spectralNorm == null ? discriminator : other.discriminatorInUse.clone();
        this.step = other.step;
        this.generatorVersion = other.generatorVersion;
        this.discriminatorVersion = other.discriminatorVersion;
    }

    /** An independent deep copy. */
    public GanState copy() {
        return new GanState(this);
    }

    /** Overwrites everything in this state with {@code other}'s values (same model and settings). */
    public void copyFrom(GanState other) {
        System.arraycopy(other.generator, 0, generator, 0, generator.length);
        System.arraycopy(other.discriminator, 0, discriminator, 0, discriminator.length);
        generatorOptimiser.restore(other.generatorOptimiser.state());
        discriminatorOptimiser.restore(other.discriminatorOptimiser.state());
        if (generatorEma != null) {
            generatorEma.restore(other.generatorEma.average(), other.generatorEma.updates());
        }
        guard.restore(other.guard);
        if (spectralNorm != null) {
            spectralNorm.copyFrom(other.spectralNorm);
        }
        renormalise();
        step = other.step;
        generatorVersion = other.generatorVersion;
        discriminatorVersion = other.discriminatorVersion;
    }

    public float[] generator() {
        return generator;
    }

    public float[] discriminator() {
        return discriminator;
    }

    /**
     * D's parameters as the rounds use them: the raw vector, or with every weight matrix divided by its
     * spectral norm. Rounds return gradients with respect to these.
     */
    public float[] discriminatorInUse() {
        return discriminatorInUse;
    }

    /** D's spectral-norm state, or null when model.spectral-norm is off. */
    public SpectralNorm spectralNorm() {
        return spectralNorm;
    }

    /** Recomputes {@link #discriminatorInUse} from D's raw parameters and the current σ. */
    void renormalise() {
        discriminatorInUse = spectralNorm == null ? discriminator : spectralNorm.normalise(discriminator);
    }

    /** Sets D's spectral-norm vectors from a checkpoint (taken after the weights it was saved with). */
    public void restoreSpectralNorm(float[] vectors) {
        spectralNorm.restore(vectors, discriminator);
        renormalise();
    }

    public Optimiser generatorOptimiser() {
        return generatorOptimiser;
    }

    public Optimiser discriminatorOptimiser() {
        return discriminatorOptimiser;
    }

    /** The EMA generator, or null when train.ema-half-life = 0. */
    public Ema generatorEma() {
        return generatorEma;
    }

    public Guard guard() {
        return guard;
    }

    /** Steps done so far: the next step to run. */
    public long step() {
        return step;
    }

    /** Sets the step counter (a state read back from a checkpoint). */
    public void setStep(long step) {
        this.step = step;
    }

    public long generatorVersion() {
        return generatorVersion;
    }

    public long discriminatorVersion() {
        return discriminatorVersion;
    }

    /** Floats in this state: what a collective job ships out and back. */
    public long floatCount() {
        return 3L * (generator.length + discriminator.length) + (generatorEma == null ? 0 : generator.length)
                + (spectralNorm == null ? 0 : discriminator.length + spectralNorm.vectors().length);
    }

    /** The generator to sample from: the EMA weights when enabled. */
    public float[] samplingGenerator() {
        return generatorEma != null ? generatorEma.average() : generator;
    }
}

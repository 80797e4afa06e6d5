package io.sparkgan.train;

import java.util.function.Consumer;

/**
 * Runs training steps on the cluster and keeps the driver's {@link GanState} current. Two ways
 * (train.sync): {@link DriverStepRunner}, a Spark job per round with the driver summing gradients and
 * updating, and {@link CollectiveStepRunner}, one barrier job for many steps with the workers summing
 * among themselves. Both produce bit-identical parameters.
 */
interface StepRunner extends AutoCloseable {
    /**
     * Runs one or more steps, never past step {@code until}, and hands each step's figures to
     * {@code onStep} in order. Afterwards the driver's state holds the parameters after the last
     * step handed over. Throws {@link TrainingException} when training must stop.
     */
    void runSteps(long until, Consumer<StepStats> onStep);

    /** A line for the log: how steps are run. */
    String describe();

    @Override
    void close();
}

package io.sparkgan.distributed;

import io.sparkgan.step.StepStats;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs training steps on the cluster and keeps the driver's state current, in one of the two
 * synchronisation modes ({@link Synchronisation}). Both give bit-identical parameters.
 */
public interface StepRunner extends AutoCloseable {
    /**
     * Runs one or more steps, never past step {@code until}, and hands each step's figures to
     * {@code onStep} in order. Afterwards the driver's state holds the parameters after the last
     * step handed over. Throws {@code TrainingException} when training must stop.
     */
    void runSteps(long until, Consumer<StepStats> onStep);

    /**
     * The JVMs that ran steps since the last call ({@code runtime.JvmPlatforms} entries): what a
     * checkpoint records about the machines its steps came from.
     */
    List<Map<String, Object>> jvmsSinceLastCall();

    /** A line for the log: how steps are run. */
    String describe();

    @Override
    void close();
}

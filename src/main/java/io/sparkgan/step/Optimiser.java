package io.sparkgan.step;

import io.sparkgan.config.TrainConfig;
import io.sparkgan.io.NpyArray;
import java.io.Serializable;
import java.util.Map;

/**
 * Updates one network's flat parameter vector from the mean gradient of a step (the shape of
 * Tribuo's {@code StochasticGradientOptimiser}: a step, and the state in and out). Its state is
 * everything a resumed run needs to continue bit for bit; checkpoints store it as named arrays.
 */
public interface Optimiser extends Serializable {
    /** One update of {@code params} in place with the mean gradient {@code gradient}. */
    void step(float[] params, float[] gradient);

    /** The state as named arrays, for a checkpoint (the arrays may be this optimiser's own). */
    Map<String, NpyArray> state();

    /** Overwrites the state with one {@link #state} returned (of an optimiser of the same kind and size). */
    void restore(Map<String, NpyArray> state);

    /** An independent copy: same settings and state. */
    Optimiser copy();

    /** The optimiser train.* asks for, for a network of {@code size} parameters. */
    static Optimiser of(TrainConfig train, int size, double learningRate) {
        return new Adam(size, learningRate, train.adamBeta1(), train.adamBeta2(), train.adamEpsilon());
    }
}

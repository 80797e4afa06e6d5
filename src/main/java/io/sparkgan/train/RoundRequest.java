package io.sparkgan.train;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import java.io.Serializable;

/**
 * Everything an executor needs for one round, broadcast once per round: the current parameters and
 * the settings that fix the computation. The executor side is a pure function of this and its data.
 *
 * @param kind which gradients to compute
 * @param step the generator step (0-based)
 * @param dRound which of the step's discriminator rounds (for D and BOTH)
 * @param batchNumber the partition-local minibatch number to draw real images from
 */
public record RoundRequest(Kind kind, long step, int dRound, long batchNumber, float[] generator,
                           float[] discriminator, GanArchitecture architecture, GanLoss loss, double realTarget,
                           int batchPerWorker, long seed, boolean shuffle, int threads) implements Serializable {

    /** D's gradient, G's gradient, or both against the same D (the simultaneous order). */
    public enum Kind { DISCRIMINATOR, GENERATOR, BOTH }
}

package io.sparkgan.train;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import java.io.Serializable;

/**
 * Everything an executor needs for one round besides the parameters: which gradients, which step,
 * and the settings that fix the computation. It is small and travels inside each task; the parameter
 * vectors travel as broadcasts (see {@link SparkRounds}). The executor side is a pure function of
 * this, the parameters and its data.
 *
 * @param kind which gradients to compute
 * @param step the generator step (0-based)
 * @param dRound which of the step's discriminator rounds (for D and BOTH)
 * @param batchNumber the partition-local minibatch number to draw real images from
 * @param bfloat16Gradients round the gradient sums to bfloat16 and send them in 16 bits
 */
public record RoundRequest(Kind kind, long step, int dRound, long batchNumber,
                           GanArchitecture architecture, GanLoss loss, double realTarget,
                           int batchPerWorker, long seed, boolean shuffle, int threads,
                           boolean bfloat16Gradients) implements Serializable {

    /** A request with the run's settings from {@code train}. */
    static RoundRequest of(Kind kind, long step, int dRound, long batchNumber, GanArchitecture architecture,
                           io.sparkgan.config.TrainConfig train, int threads) {
        return new RoundRequest(kind, step, dRound, batchNumber, architecture, train.loss(), train.realTarget(),
                train.batchPerWorker(), train.seed(), train.shuffle(), threads,
                train.gradientTransfer() == io.sparkgan.config.TrainConfig.GradientTransfer.BF16);
    }

    /** D's gradient, G's gradient, or both against the same D (the simultaneous order). */
    public enum Kind { DISCRIMINATOR, GENERATOR, BOTH }
}

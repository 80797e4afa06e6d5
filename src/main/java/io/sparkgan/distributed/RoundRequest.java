package io.sparkgan.distributed;

import io.sparkgan.config.TrainConfig;
import io.sparkgan.model.Augmentation;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import io.sparkgan.model.GradientPenalty;
import io.sparkgan.step.Round;
import java.io.Serializable;
import java.util.List;

/**
 * Everything a worker needs for one round besides the parameters and its data: the round, and the
 * run's settings that fix the computation. It is small and travels inside each task; the parameter
 * vectors travel as broadcasts (driver mode) or are the task's own (collective mode). The worker's
 * side is a pure function of this, the parameters and its partition.
 */
public record RoundRequest(Round round, Settings settings) implements Serializable {

    /**
     * The run's settings a worker's computation depends on.
     *
     * @param discriminatorRounds D rounds per step (train.d-steps-per-g-step)
     * @param threads ND4J threads per task
     * @param bfloat16Gradients round the gradient sums to bfloat16 and send them in 16 bits
     * @param penalties the gradient penalties D's rounds add to its loss
     * @param augment the differentiable augmentation D sees every image through
     * @param l1Weight a translation's λ on its L1 term (train.l1-weight)
     */
    public record Settings(GanArchitecture architecture, GanLoss loss, double realTarget, int batchPerWorker,
                           int discriminatorRounds, long seed, int threads,
                           boolean bfloat16Gradients, List<GradientPenalty> penalties,
                           Augmentation.Policy augment, double l1Weight) implements Serializable {

        /** The settings of a run configured by {@code train}. */
        public static Settings of(GanArchitecture architecture, TrainConfig train, int threads) {
            return new Settings(architecture, train.loss(), train.realTarget(), train.batchPerWorker(),
                    train.dStepsPerGStep(), train.seed(), threads,
                    train.gradientTransfer() == TrainConfig.GradientTransfer.BF16, train.gradientPenalties(),
                    train.augment(), train.l1Weight());
        }
    }
}

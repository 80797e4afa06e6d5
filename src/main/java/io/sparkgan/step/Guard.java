package io.sparkgan.step;

import io.sparkgan.config.TrainConfig;
import java.io.Serializable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks every averaged loss and gradient before the optimiser sees it. A NaN or infinity either
 * stops training with a message naming the step and the network (train.on-non-finite = stop), or
 * the update is skipped and training goes on, until too many steps in a row were skipped (skip).
 * Either way the parameters are never updated with a non-finite value. The count of steps skipped
 * in a row is part of the training state: checkpoints keep it, so the limit holds across a resume.
 */
public final class Guard implements Serializable {
    private static final Logger LOG = LoggerFactory.getLogger(Guard.class);

    private final TrainConfig.NonFinitePolicy policy;
    private final int skipLimit;
    private int consecutiveSkippedSteps;
    private long lastSkippedStep = -1;

    Guard(TrainConfig train) {
        this.policy = train.onNonFinite();
        this.skipLimit = train.nonFiniteSkipLimit();
    }

    Guard copy() {
        Guard copy = new Guard(policy, skipLimit);
        copy.restore(this);
        return copy;
    }

    private Guard(TrainConfig.NonFinitePolicy policy, int skipLimit) {
        this.policy = policy;
        this.skipLimit = skipLimit;
    }

    void restore(Guard other) {
        restore(other.consecutiveSkippedSteps, other.lastSkippedStep);
    }

    /** Restores the counts a checkpoint saved. */
    public void restore(int consecutiveSkippedSteps, long lastSkippedStep) {
        this.consecutiveSkippedSteps = consecutiveSkippedSteps;
        this.lastSkippedStep = lastSkippedStep;
    }

    /** Steps in a row, up to the last one run, with an update skipped for a non-finite value. */
    public int consecutiveSkippedSteps() {
        return consecutiveSkippedSteps;
    }

    /** The last (0-based) step with a skipped update, or -1. */
    public long lastSkippedStep() {
        return lastSkippedStep;
    }

    /** Whether the update of {@code network} at (0-based) {@code step} may be applied. */
    boolean admit(long step, String network, double lossSum, float[] gradient) {
        String problem = problem(lossSum, gradient);
        if (problem == null) {
            return true;
        }
        String where = "step " + (step + 1) + ": the " + network + " " + problem;
        if (policy == TrainConfig.NonFinitePolicy.STOP) {
            throw new TrainingException(where + "; training diverged (try lower learning rates, or"
                    + " train.on-non-finite = skip). Parameters were not updated with it.", step);
        }
        if (lastSkippedStep != step) {
            consecutiveSkippedSteps++;
            lastSkippedStep = step;
        }
        if (consecutiveSkippedSteps > skipLimit) {
            throw new TrainingException(where + "; that is " + consecutiveSkippedSteps + " steps in a row with a"
                    + " skipped update, more than train.non-finite-skip-limit = " + skipLimit + ": training diverged"
                    + " (try lower learning rates). Parameters were not updated with it.", step);
        }
        LOG.warn("{}; update skipped (train.on-non-finite = skip, {} of {} steps in a row)", where,
                consecutiveSkippedSteps, skipLimit);
        return false;
    }

    /** Ends a step: one without a skipped update resets the count of steps skipped in a row. */
    void stepDone(long step) {
        if (lastSkippedStep != step) {
            consecutiveSkippedSteps = 0;
        }
    }

    private static String problem(double lossSum, float[] gradient) {
        if (!Double.isFinite(lossSum)) {
            return "loss is " + lossSum;
        }
        for (int i = 0; i < gradient.length; i++) {
            if (!Float.isFinite(gradient[i])) {
                return "gradient holds " + gradient[i] + " (at index " + i + ")";
            }
        }
        return null;
    }
}

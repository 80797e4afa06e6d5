package io.sparkgan.config;

import io.sparkgan.model.Augmentation;
import io.sparkgan.model.GanLoss;
import io.sparkgan.model.GradientPenalty;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** The training loop's settings (the {@code train} section). */
public record TrainConfig(
        long steps,
        int batchPerWorker,
        int workers,
        long seed,
        StepOrder order,
        GanLoss loss,
        int dStepsPerGStep,
        double gLearningRate,
        double dLearningRate,
        double adamBeta1,
        double adamBeta2,
        double adamEpsilon,
        double labelSmoothing,
        double dSkipBelow,
        double wganClip,
        double gpWeight,
        double r1Gamma,
        int r1Every,
        Augmentation.Policy augment,
        double emaHalfLife,
        double emaRampup,
        boolean shuffle,
        long logEvery,
        long checkpointEvery,
        long sampleEvery,
        int sampleCount,
        int executorThreads,
        NonFinitePolicy onNonFinite,
        int nonFiniteSkipLimit,
        int keepCheckpoints,
        GradientTransfer gradientTransfer,
        Sync sync,
        int stepsPerJob,
        long executorWaitSeconds,
        double l1Weight) implements Serializable {

    /**
     * How the workers' gradients are combined: on the driver after a Spark job per round, among the
     * workers inside one barrier job per train.steps-per-job steps, or whichever this cluster allows.
     */
    public enum Sync { AUTO, DRIVER, COLLECTIVE }

    /** How executors send gradients to the driver: float32, or bfloat16 (half the bytes, 2⁻⁸ rounding). */
    public enum GradientTransfer { FP32, BF16 }

    /** What a NaN or infinite loss or gradient does: stop the job, or skip that update. */
    public enum NonFinitePolicy { STOP, SKIP }

    /** Whether D and G are updated one after the other within a step or from the same D. */
    public enum StepOrder { ALTERNATING, SIMULTANEOUS }

    public int globalBatch() {
        return batchPerWorker * workers;
    }

    /** The penalties on D's input gradient this run adds to D's loss: WGAN-GP's, R1, both or none. */
    public List<GradientPenalty> gradientPenalties() {
        List<GradientPenalty> penalties = new ArrayList<>();
        if (loss == GanLoss.WGAN_GP) {
            penalties.add(GradientPenalty.wganGp(gpWeight));
        }
        if (r1Gamma > 0) {
            penalties.add(GradientPenalty.r1(r1Gamma, r1Every));
        }
        return List.copyOf(penalties);
    }

    /** Target for real images in D's loss: 1, or 1 − smoothing (one-sided label smoothing). */
    public double realTarget() {
        return 1.0 - labelSmoothing;
    }
}

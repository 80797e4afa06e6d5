package io.sparkgan.distributed;

import io.sparkgan.data.WorkerInput;
import io.sparkgan.model.networks.NetworkKernels;
import io.sparkgan.model.GanReplica;
import io.sparkgan.model.GradientPenalty;
import io.sparkgan.model.HostCopies;
import io.sparkgan.runtime.GpuBinding;
import io.sparkgan.runtime.Nd4jSetup;
import io.sparkgan.runtime.NativeSelfCheck;
import io.sparkgan.runtime.ReplicaCache;
import io.sparkgan.step.Round;
import io.sparkgan.step.RoundStatistics;
import io.sparkgan.step.RoundSums;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A worker's share of a round, on the executor: set the replica's parameters, take the round's real
 * images and noise, compute the requested gradients, return their sums. A pure function of
 * (request, parameters, worker's input): nothing survives between rounds but caches of things derived
 * from the request (the replica) and the input's read-ahead, so a retried task computes what the first did.
 */
final class PartitionWorker {
    private PartitionWorker() {
    }

    static PartitionResult run(RoundRequest request, float[] generator, float[] discriminator,
                               WorkerInput input) {
        long started = System.nanoTime();
        long dataWait = 0;
        RoundRequest.Settings s = request.settings();
        Round round = request.round();
        Nd4jSetup.threads(s.threads());
        GpuBinding.bindCurrentTask();
        NativeSelfCheck.require(NetworkKernels.training(s.architecture(), s.batchPerWorker())); // once per JVM
        GanReplica replica = ReplicaCache.get(s.architecture(), s.loss(), s.realTarget());
        replica.setGenerator(generator);
        replica.setDiscriminator(discriminator);

        float[] dGradient = null;
        float[] gGradient = null;
        double dLoss = 0;
        double gLoss = 0;
        double realScore = 0;
        double fakeScore = 0;
        double penalty = 0;
        if (round.needsDiscriminatorGradient()) {
            WorkerInput.RealBatch real = RoundInputs.realBatch(round, s, input);
            dataWait = real.waitNanos();
            GanReplica.RoundOutput d = replica.discriminatorRound(s.architecture().family().translates()
                    ? translationBatch(round, s, input, replica, real) : generationBatch(round, s, input, replica, real));
            dGradient = HostCopies.floats(d.gradient());
            penalty = d.penaltySum();
            dLoss = d.lossSum();
            realScore = d.realScoreSum();
            fakeScore = d.fakeScoreSum();
        }
        if (round.needsGeneratorGradient()) {
            GanReplica.RoundOutput g = s.architecture().family().translates() ? translationRound(round, s, input, replica)
                    : replica.generatorRound(RoundInputs.generatorNoise(round, s, input),
                    RoundInputs.generatorClasses(round, s, input),
                    RoundInputs.augmentation(round, s, input, RoundInputs.Augmented.GENERATOR),
                    RoundInputs.generatorStyling(round, s, input));
            gGradient = HostCopies.floats(g.gradient());
            gLoss = g.lossSum();
            if (!round.needsDiscriminatorGradient()) {
                fakeScore = g.fakeScoreSum();
            }
        }
        if (s.bfloat16Gradients()) {
            // rounded here, not only on the wire, so the driver sums the same values in any deployment
            Bfloat16.roundInPlace(dGradient == null ? new float[0] : dGradient);
            Bfloat16.roundInPlace(gGradient == null ? new float[0] : gGradient);
        }
        RoundStatistics statistics = new RoundStatistics(dLoss, gLoss, realScore, fakeScore, penalty,
                s.batchPerWorker(),
                System.nanoTime() - started, dataWait);
        return FaultHooks.afterPartition(request, new PartitionResult(input.index(),
                RoundSums.ofWorker(dGradient, gGradient, statistics), s.bfloat16Gradients()));
    }

    /** D's round of a GAN from noise: real images, G's images from the round's z, and what D sees them through. */
    private static GanReplica.DiscriminatorBatch generationBatch(Round round, RoundRequest.Settings s,
                                                                 WorkerInput input, GanReplica replica,
                                                                 WorkerInput.RealBatch real) {
        int[] fakeClasses = RoundInputs.discriminatorClasses(round, s, input);
        INDArray fake = replica.generate(RoundInputs.discriminatorNoise(round, s, input), fakeClasses,
                RoundInputs.discriminatorStyling(round, s, input));
        List<GradientPenalty> penalties = RoundInputs.penalties(round, s);
        return new GanReplica.DiscriminatorBatch(RoundInputs.realImages(real, s), RoundInputs.realClasses(real, s),
                fake, fakeClasses, penalties, penalties.isEmpty() ? null : RoundInputs.mixing(round, s, input),
                RoundInputs.augmentation(round, s, input, RoundInputs.Augmented.REAL),
                RoundInputs.augmentation(round, s, input, RoundInputs.Augmented.FAKE));
    }

    /** D's round of a translation: the real pairs (input, target) against (input, G(input)). */
    private static GanReplica.DiscriminatorBatch translationBatch(Round round, RoundRequest.Settings s,
                                                                  WorkerInput input, GanReplica replica,
                                                                  WorkerInput.RealBatch real) {
        INDArray pairs = RoundInputs.realImages(real, s);
        INDArray inputs = RoundInputs.half(pairs, false);
        INDArray outputs = replica.generate(inputs, null, RoundInputs.translationStyling(round, s, input));
        return GanReplica.DiscriminatorBatch.of(pairs, Nd4j.concat(1, inputs, outputs));
    }

    /** G's round of a translation, on the pairs D's round of the step judged. */
    private static GanReplica.RoundOutput translationRound(Round round, RoundRequest.Settings s, WorkerInput input,
                                                           GanReplica replica) {
        INDArray pairs = RoundInputs.realImages(RoundInputs.pairs(round, input), s);
        return replica.translationRound(RoundInputs.half(pairs, false), RoundInputs.half(pairs, true),
                RoundInputs.translationStyling(round, s, input), s.l1Weight());
    }
}

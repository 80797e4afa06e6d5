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
            int[] fakeClasses = RoundInputs.discriminatorClasses(round, s, input);
            INDArray fake = replica.generate(RoundInputs.discriminatorNoise(round, s, input), fakeClasses,
                    RoundInputs.discriminatorStyling(round, s, input));
            List<GradientPenalty> penalties = RoundInputs.penalties(round, s);
            GanReplica.RoundOutput d = replica.discriminatorRound(new GanReplica.DiscriminatorBatch(
                    RoundInputs.realImages(real, s), RoundInputs.realClasses(real, s), fake, fakeClasses, penalties,
                    penalties.isEmpty() ? null : RoundInputs.mixing(round, s, input),
                    RoundInputs.augmentation(round, s, input, RoundInputs.Augmented.REAL),
                    RoundInputs.augmentation(round, s, input, RoundInputs.Augmented.FAKE)));
            dGradient = HostCopies.floats(d.gradient());
            penalty = d.penaltySum();
            dLoss = d.lossSum();
            realScore = d.realScoreSum();
            fakeScore = d.fakeScoreSum();
        }
        if (round.needsGeneratorGradient()) {
            GanReplica.RoundOutput g = replica.generatorRound(RoundInputs.generatorNoise(round, s, input),
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
}

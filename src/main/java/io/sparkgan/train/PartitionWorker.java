package io.sparkgan.train;

import io.sparkgan.model.GanReplica;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The executor's half of a round: draw this partition's minibatch and noise, compute the requested
 * gradients on the local replica, return their sums. A pure function of (request, parameters,
 * partition): no
 * state survives between rounds except caches of things derived from the request.
 */
final class PartitionWorker {
    private static final ThreadLocal<Map<Integer, MinibatchSampler>> SAMPLERS = ThreadLocal.withInitial(HashMap::new);

    private PartitionWorker() {
    }

    static PartitionResult run(RoundRequest request, float[] generator, float[] discriminator,
                               TrainingPartition partition) {
        long started = System.nanoTime();
        Nd4jSetup.threads(request.threads());
        GpuBinding.bindCurrentTask();
        GanReplica replica = ReplicaCache.get(request.architecture(), request.loss(), request.realTarget());
        replica.setGenerator(generator);
        replica.setDiscriminator(discriminator);

        int batch = request.batchPerWorker();
        int latent = request.architecture().latentDim();
        long firstSlot = (long) partition.index() * batch;
        float[] dGradient = null;
        float[] gGradient = null;
        double dLoss = 0;
        double gLoss = 0;
        double realScore = 0;
        double fakeScore = 0;

        if (request.kind() != RoundRequest.Kind.GENERATOR) {
            INDArray real = realImages(request, partition);
            INDArray z = noise(request.seed(), request.step(), request.dRound(), firstSlot, batch, latent);
            INDArray fake = replica.generate(z);
            GanReplica.RoundOutput d = replica.discriminatorRound(real, fake);
            dGradient = d.gradient().toFloatVector();
            dLoss = d.lossSum();
            realScore = d.realScoreSum();
            fakeScore = d.fakeScoreSum();
        }
        if (request.kind() != RoundRequest.Kind.DISCRIMINATOR) {
            INDArray z = noise(request.seed(), request.step(), LatentNoise.GENERATOR_ROUND, firstSlot, batch, latent);
            GanReplica.RoundOutput g = replica.generatorRound(z);
            gGradient = g.gradient().toFloatVector();
            gLoss = g.lossSum();
            if (request.kind() == RoundRequest.Kind.GENERATOR) {
                fakeScore = g.fakeScoreSum();
            }
        }
        if (request.bfloat16Gradients()) {
            // rounded here, not only on the wire, so the driver sums the same values in any deployment
            Bfloat16.roundInPlace(dGradient == null ? new float[0] : dGradient);
            Bfloat16.roundInPlace(gGradient == null ? new float[0] : gGradient);
        }
        return FaultHooks.afterPartition(request, new PartitionResult(partition.index(), dGradient, gGradient, dLoss,
                gLoss, realScore, fakeScore, batch, System.nanoTime() - started, request.bfloat16Gradients()));
    }

    /** The partition's next real minibatch, normalised from uint8 to [-1, 1]. */
    private static INDArray realImages(RoundRequest request, TrainingPartition partition) {
        MinibatchSampler sampler = SAMPLERS.get().compute(partition.index(), (k, existing) ->
                existing != null && existing.matches(request.seed(), partition.count(), request.shuffle())
                        ? existing
                        : new MinibatchSampler(request.seed(), partition.index(), partition.count(), request.shuffle()));
        int[] indices = sampler.indices(request.batchNumber(), request.batchPerWorker());
        int pixels = partition.pixelsPerImage();
        float[] values = new float[indices.length * pixels];
        byte[] images = partition.images();
        for (int i = 0; i < indices.length; i++) {
            int from = indices[i] * pixels;
            int to = i * pixels;
            for (int p = 0; p < pixels; p++) {
                values[to + p] = (images[from + p] & 0xff) / 127.5f - 1f;
            }
        }
        int size = request.architecture().imageSize();
        return Nd4j.create(values, new long[] {indices.length, request.architecture().channels(), size, size}, DataType.FLOAT);
    }

    private static INDArray noise(long seed, long step, int round, long firstSlot, int batch, int latent) {
        float[] z = LatentNoise.draw(seed, step, round, firstSlot, batch, latent);
        return Nd4j.create(z, new long[] {batch, latent}, DataType.FLOAT);
    }
}

package io.sparkgan.distributed;

import io.sparkgan.data.MinibatchSampler;
import io.sparkgan.data.TrainingPartition;
import io.sparkgan.model.Noise;
import io.sparkgan.step.Round;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What a worker feeds a round: its real minibatch and its noise. This is the one place that decides
 * which data and which noise a round uses; both are pure functions of the round, the seed and the
 * partition, so a retried task and a resumed run see exactly what the first attempt saw.
 * <ul>
 *   <li>Real images: the worker's minibatch number step·k + r for D round r of k (the simultaneous
 *       order's single round: step), drawn by {@link MinibatchSampler} from its partition.</li>
 *   <li>Noise: worker p's images are slots p·b … p·b + b − 1 of the global batch, in the noise
 *       stream of the step; D round r uses round r of it, G's round a round of its own.</li>
 * </ul>
 */
final class RoundInputs {
    /** G's noise: apart from every D round's (there are never this many D rounds in a step). */
    private static final int GENERATOR_NOISE = 1_000_000;
    private static final ThreadLocal<Map<Integer, MinibatchSampler>> SAMPLERS = ThreadLocal.withInitial(HashMap::new);

    private RoundInputs() {
    }

    /** Which of its minibatches a worker trains D on in {@code round}. */
    static long minibatch(Round round, int discriminatorRounds) {
        return round.kind() == Round.Kind.BOTH ? round.step()
                : round.step() * discriminatorRounds + round.discriminatorRound();
    }

    /** The real minibatch of D's round, normalised from uint8 to [-1, 1], NCHW. */
    static INDArray realImages(Round round, RoundRequest.Settings s, TrainingPartition partition) {
        MinibatchSampler sampler = SAMPLERS.get().compute(partition.index(), (k, existing) ->
                existing != null && existing.matches(s.seed(), partition.count(), s.shuffle())
                        ? existing
                        : new MinibatchSampler(s.seed(), partition.index(), partition.count(), s.shuffle()));
        int[] indices = sampler.indices(minibatch(round, s.discriminatorRounds()), s.batchPerWorker());
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
        int size = s.architecture().imageSize();
        return Nd4j.create(values, new long[] {indices.length, s.architecture().channels(), size, size},
                DataType.FLOAT);
    }

    /** z for the generated half of D's round. */
    static INDArray discriminatorNoise(Round round, RoundRequest.Settings s, TrainingPartition partition) {
        return noise(round.step(), round.discriminatorRound(), s, partition);
    }

    /** z for G's round (in the simultaneous order, G's half of the round). */
    static INDArray generatorNoise(Round round, RoundRequest.Settings s, TrainingPartition partition) {
        return noise(round.step(), GENERATOR_NOISE, s, partition);
    }

    private static INDArray noise(long step, int stream, RoundRequest.Settings s, TrainingPartition partition) {
        int batch = s.batchPerWorker();
        int latent = s.architecture().latentDim();
        long firstSlot = (long) partition.index() * batch;
        float[] z = Noise.latent(s.seed(), step, stream, firstSlot, batch, latent);
        return Nd4j.create(z, new long[] {batch, latent}, DataType.FLOAT);
    }
}

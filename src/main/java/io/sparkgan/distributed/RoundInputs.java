package io.sparkgan.distributed;

import io.sparkgan.data.WorkerInput;
import io.sparkgan.model.Augmentation;
import io.sparkgan.model.GradientPenalty;
import io.sparkgan.model.HostCopies;
import io.sparkgan.model.Noise;
import io.sparkgan.model.networks.Styling;
import io.sparkgan.step.Round;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * What a worker feeds a round: its real minibatch and its noise. This is the one place that decides
 * which data and which noise a round uses; both are pure functions of the round, the seed and the
 * worker's place in the global batch, so a retried task and a resumed run see exactly what the first
 * attempt saw, and W workers with batch b see what one worker with batch W·b sees.
 * <ul>
 *   <li>Real images: global batch number step·k + r of the run's {@link io.sparkgan.data.SampleOrder}
 *       for D round r of k (the simultaneous order's single round: step), of which worker p takes
 *       images p·b … p·b + b − 1 ({@link WorkerInput}).</li>
 *   <li>Noise: worker p's images are slots p·b … p·b + b − 1 of the global batch, in the noise
 *       stream of the step; D round r uses round r of it, G's round a round of its own. WGAN-GP's
 *       mixing weights ε are drawn per slot the same way.</li>
 *   <li>A conditional GAN's classes: the real images' own; for generated images uniform over the
 *       classes, drawn per slot like z.</li>
 *   <li>Augmentation (train.augment): drawn per slot as well, one draw for D's real images, one for
 *       its generated ones and one for G's round.</li>
 *   <li>StyleGAN2's per-pixel noise and style mixing: drawn per slot in the round's stream, as z.</li>
 *   <li>Gradient penalties: a lazy one (R1 every N D rounds) is computed in D rounds whose number
 *       over the run, step·k + r, is a multiple of N.</li>
 * </ul>
 */
final class RoundInputs {
    /** G's noise: apart from every D round's (there are never this many D rounds in a step). */
    static final int GENERATOR_NOISE = 1_000_000;

    private RoundInputs() {
    }

    /** Which global batch D trains on in {@code round}. */
    static long globalBatch(Round round, int discriminatorRounds) {
        return round.kind() == Round.Kind.BOTH ? round.step()
                : round.step() * discriminatorRounds + round.discriminatorRound();
    }

    /** This worker's share of D's round's real images, as stored (uint8). */
    static WorkerInput.RealBatch realBatch(Round round, RoundRequest.Settings s, WorkerInput input) {
        return input.batch(globalBatch(round, s.discriminatorRounds()));
    }

    /** Real images normalised from uint8 to [-1, 1], NCHW. */
    static INDArray realImages(WorkerInput.RealBatch batch, RoundRequest.Settings s) {
        byte[] images = batch.images();
        float[] values = new float[images.length];
        for (int i = 0; i < images.length; i++) {
            values[i] = (images[i] & 0xff) / 127.5f - 1f;
        }
        int size = s.architecture().imageSize();
        return HostCopies.floatVector(values, null).reshape('c', batch.count(), s.architecture().judgedChannels(), size,
                size);
    }

    /**
     * A translation's pairs for both of its rounds: D's one round and G's are on global batch {@code step}
     * (its one D round a step), each pair input first ({@code data.direction}: WorkerInput's order).
     */
    static WorkerInput.RealBatch pairs(Round round, WorkerInput input) {
        return input.batch(round.step());
    }

    /** Channels [from, from + C) of pairs [n, 2C, side, side]: the inputs (0) or the targets (C). */
    static INDArray half(INDArray pairs, boolean targets) {
        long c = pairs.size(1) / 2;
        long from = targets ? c : 0;
        return pairs.get(NDArrayIndex.all(), NDArrayIndex.interval(from, from + c), NDArrayIndex.all(),
                NDArrayIndex.all()).dup('c');
    }

    /**
     * G's dropout in a translation step: drawn per slot from the step alone, so that D's round and G's
     * see the same outputs (the paper's one forward pass of G per step).
     */
    static Styling translationStyling(Round round, RoundRequest.Settings s, WorkerInput input) {
        return Styling.training(new Styling.Draws(s.seed(), round.step(), 0, (long) input.index() * s.batchPerWorker()),
                0);
    }

    /** z for the generated half of D's round. */
    static INDArray discriminatorNoise(Round round, RoundRequest.Settings s, WorkerInput input) {
        return noise(round.step(), round.discriminatorRound(), s, input);
    }

    /** The real images' classes for a conditional GAN, null for an unconditional one. */
    static int[] realClasses(WorkerInput.RealBatch batch, RoundRequest.Settings s) {
        return s.architecture().conditional() ? batch.labels() : null;
    }

    /** The classes G generates in D's round (null for an unconditional GAN): uniform, per slot. */
    static int[] discriminatorClasses(Round round, RoundRequest.Settings s, WorkerInput input) {
        return classes(round.step(), round.discriminatorRound(), s, input);
    }

    /** The classes G generates in its own round (null for an unconditional GAN). */
    static int[] generatorClasses(Round round, RoundRequest.Settings s, WorkerInput input) {
        return classes(round.step(), GENERATOR_NOISE, s, input);
    }

    private static int[] classes(long step, int stream, RoundRequest.Settings s, WorkerInput input) {
        if (!s.architecture().conditional()) {
            return null;
        }
        int batch = s.batchPerWorker();
        return Noise.classes(s.seed(), step, stream, (long) input.index() * batch, batch, s.architecture().classes());
    }

    /** WGAN-GP's ε for this worker's images of D's round: slots of the global batch, as for z. */
    static float[] mixing(Round round, RoundRequest.Settings s, WorkerInput input) {
        int batch = s.batchPerWorker();
        return Noise.mixing(s.seed(), round.step(), round.discriminatorRound(), (long) input.index() * batch, batch);
    }

    /** Which of a round's image batches an augmentation is drawn for. */
    enum Augmented { REAL, FAKE, GENERATOR }

    /**
     * The augmentation of this worker's images of one batch of the round, null without train.augment:
     * drawn per slot of the global batch, like the noise.
     */
    static Augmentation augmentation(Round round, RoundRequest.Settings s, WorkerInput input, Augmented which) {
        if (!s.augment().any()) {
            return null;
        }
        int batch = s.batchPerWorker();
        int round0 = which == Augmented.GENERATOR ? 0 : round.discriminatorRound();
        return Augmentation.draw(s.augment(), s.seed(), round.step(), round0, which.ordinal(),
                (long) input.index() * batch, batch, s.architecture().channels(), s.architecture().imageSize());
    }

    /** The gradient penalties D's round computes: those whose lazy interval includes this D round. */
    static List<GradientPenalty> penalties(Round round, RoundRequest.Settings s) {
        long discriminatorRound = globalBatch(round, s.discriminatorRounds());
        return s.penalties().stream().filter(p -> p.appliesTo(discriminatorRound)).toList();
    }

    /**
     * How a style-based G runs in this round: per-pixel noise and style mixing drawn per slot in the
     * stream z comes from (D round r's, or G's own), so that they are as independent of the worker count
     * as z is.
     */
    static Styling discriminatorStyling(Round round, RoundRequest.Settings s, WorkerInput input) {
        return styling(round.step(), round.discriminatorRound(), s, input);
    }

    static Styling generatorStyling(Round round, RoundRequest.Settings s, WorkerInput input) {
        return styling(round.step(), GENERATOR_NOISE, s, input);
    }

    private static Styling styling(long step, int stream, RoundRequest.Settings s, WorkerInput input) {
        long firstSlot = (long) input.index() * s.batchPerWorker();
        return Styling.training(new Styling.Draws(s.seed(), step, stream, firstSlot), s.architecture().style().mixing());
    }

    /** z for G's round (in the simultaneous order, G's half of the round). */
    static INDArray generatorNoise(Round round, RoundRequest.Settings s, WorkerInput input) {
        return noise(round.step(), GENERATOR_NOISE, s, input);
    }

    private static INDArray noise(long step, int stream, RoundRequest.Settings s, WorkerInput input) {
        int batch = s.batchPerWorker();
        int latent = s.architecture().latentDim();
        long firstSlot = (long) input.index() * batch;
        float[] z = Noise.latent(s.seed(), step, stream, firstSlot, batch, latent);
        return Nd4j.create(z, new long[] {batch, latent}, DataType.FLOAT);
    }
}

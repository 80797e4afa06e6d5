package io.sparkgan.model.networks;

import io.sparkgan.model.NoiseMode;
import java.io.Serializable;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * How a style-based generator is run beyond z and the class: its per-pixel noise, style mixing and
 * truncation. Networks without a mapping network ignore it.
 *
 * @param noise where the per-pixel noise comes from; RANDOM needs {@code draws}
 * @param draws where the batch's images sit in the run's random streams (training), null otherwise
 * @param mixingProbability training's style mixing regularisation: the chance an image takes a second w
 *     from a crossover drawn per image (needs {@code draws}); 0 for none
 * @param mixLatents a second z per image for sampling's style mixing, null for none
 * @param crossover with {@code mixLatents}: style inputs 0 … K − 1 take z's w, K … on the second's
 * @param truncation ψ in [0, 1]: every w is moved to w̄ + ψ(w − w̄); 1 leaves it
 */
public record Styling(NoiseMode noise, Draws draws, double mixingProbability, INDArray mixLatents, int crossover,
                      double truncation) {

    /** A batch's place in the run's random streams: round {@code round} of step {@code step}, from {@code firstSlot}. */
    public record Draws(long seed, long step, int round, long firstSlot) implements Serializable {}

    /** Constant noise, no mixing, no truncation: a seed always gives the same image. */
    public static final Styling PLAIN = new Styling(NoiseMode.CONST, null, 0, null, 0, 1);

    public Styling {
        if (noise == NoiseMode.RANDOM && draws == null || mixingProbability > 0 && draws == null) {
            throw new IllegalArgumentException("random noise and training's style mixing need the batch's draws");
        }
        if (!(truncation >= 0 && truncation <= 1)) {
            throw new IllegalArgumentException("truncation ψ must be in [0, 1], got " + truncation);
        }
    }

    /** Training's: fresh noise per image and style mixing with {@code mixingProbability}. */
    public static Styling training(Draws draws, double mixingProbability) {
        return new Styling(NoiseMode.RANDOM, draws, mixingProbability, null, 0, 1);
    }
}

package io.sparkgan.eval;

import io.sparkgan.model.Noise;
import io.sparkgan.model.NoiseMode;
import io.sparkgan.model.networks.Styling;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How {@code sample} runs a style-based generator (StyleGAN2): truncation toward w̄, style mixing with a
 * second seed's images from a crossover on, and where the per-pixel noise comes from.
 *
 * @param truncation ψ in [0, 1] (1: none)
 * @param mixSeed the second seed, or null for no mixing: image i takes its style inputs from
 *     {@code crossover} on from that seed's image i
 * @param crossover K in [0, num_ws]: style inputs 0 … K − 1 from the sample's own seed
 * @param noise const (the checkpoint's buffers: a seed always gives the same image), random (drawn per
 *     image from the seed) or none
 */
public record SampleStyle(double truncation, Long mixSeed, int crossover, NoiseMode noise) implements Serializable {
    /** What a generator without a mapping network gets: nothing to set. */
    public static final SampleStyle NONE = new SampleStyle(1, null, 0, NoiseMode.CONST);

    /** Whether anything but the defaults was asked for. */
    boolean any() {
        return truncation != 1 || mixSeed != null || noise != NoiseMode.CONST;
    }

    /** The generator's styling for images [first, first + n) of {@code seed}'s stream, z of length {@code latent}. */
    Styling styling(long seed, long first, int n, int latent) {
        Styling.Draws draws = new Styling.Draws(Noise.seed(seed, 'N'), 0, 0, first);
        return new Styling(noise, noise == NoiseMode.RANDOM ? draws : null, 0,
                mixSeed == null ? null : Nd4j.create(Noise.sampleImages(mixSeed, first, n, latent),
                        new long[] {n, latent}, DataType.FLOAT), crossover, truncation);
    }

    /** The settings as PNG text chunks and samples.json fields. */
    Map<String, String> describe() {
        Map<String, String> text = new LinkedHashMap<>();
        text.put("noise_mode", noise.key());
        text.put("truncation", Double.toString(truncation));
        if (mixSeed != null) {
            text.put("mix_seed", Long.toString(mixSeed));
            text.put("crossover", Integer.toString(crossover));
        }
        return text;
    }
}

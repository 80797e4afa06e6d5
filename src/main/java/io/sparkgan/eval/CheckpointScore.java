package io.sparkgan.eval;

import java.util.Map;

/**
 * One checkpoint's scores.
 *
 * @param generator which weights were scored: {@code ema} (the EMA generator) or {@code raw}
 * @param values every metric's values by report key ({@link CheckpointMetrics}); NaN where one does
 *               not apply
 * @param classCounts predicted classes of the generated samples (empty without class predictions)
 * @param samples images scored
 * @param seconds wall time of generation, features and statistics
 * @param gridPng a sample grid of the scored generator (the training grids' fixed noise)
 */
public record CheckpointScore(long step, String generator, Map<String, Double> values, long[] classCounts,
                              long samples, double seconds, byte[] gridPng) {

    /** A metric's value, NaN when it was not computed. */
    public double value(String key) {
        return values.getOrDefault(key, Double.NaN);
    }

    /** Fréchet distance to the real statistics. */
    public double fid() {
        return value("fid");
    }

    /** KID, mean over subsets. */
    public double kidMean() {
        return value("kid_mean");
    }

    /** KID, standard deviation over subsets. */
    public double kidStd() {
        return value("kid_std");
    }

    /** Fraction of classes present among the samples (NaN without class predictions). */
    public double coverage() {
        return value("mode_coverage");
    }

    /** KL(generated ‖ real) of the predicted class histograms, nats (NaN without classes). */
    public double klToReal() {
        return value("class_kl_to_real");
    }

    /** These scores with another sample grid. */
    public CheckpointScore withGrid(byte[] png) {
        return new CheckpointScore(step, generator, values, classCounts, samples, seconds, png);
    }

    public double imagesPerSecond() {
        return samples / seconds;
    }
}

package io.sparkgan.eval;

/**
 * One checkpoint's scores.
 *
 * @param generator which weights were scored: {@code ema} (the EMA generator) or {@code raw}
 * @param fid Fréchet distance to the real statistics
 * @param kidMean KID, mean over subsets
 * @param kidStd KID, standard deviation over subsets
 * @param coverage fraction of classes present among the samples (NaN without class predictions)
 * @param klToReal KL(generated ‖ real) of the predicted class histograms, nats (NaN without classes)
 * @param classCounts predicted classes of the generated samples (empty without class predictions)
 * @param samples images scored
 * @param seconds wall time of generation, features and statistics
 * @param gridPng a sample grid of the scored generator (the training grids' fixed noise)
 */
public record CheckpointScore(long step, String generator, double fid, double kidMean, double kidStd,
                              double coverage, double klToReal, long[] classCounts, long samples, double seconds,
                              byte[] gridPng) {

    public double imagesPerSecond() {
        return samples / seconds;
    }
}

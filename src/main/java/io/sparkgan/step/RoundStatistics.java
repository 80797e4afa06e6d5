package io.sparkgan.step;

import java.io.Serializable;

/**
 * A round's statistics, summed over the images it saw (the driver divides by {@link #images}), and
 * the slowest worker's compute time. Sums, not means, so that workers' shares simply add up.
 *
 * @param discriminatorLoss D's loss (real and generated terms)
 * @param generatorLoss G's loss through D
 * @param realScore D(x), or the critic's value on real images
 * @param fakeScore D(G(z)): in D's round when the round has one, else in G's
 * @param penalty D's gradient penalties (not part of its loss above), 0 in rounds without one
 * @param computeNanos the slowest worker's time computing its share (a maximum, not a sum)
 * @param dataWaitNanos the longest a worker waited for its real images to be read (a maximum; part of
 *     its compute time)
 */
public record RoundStatistics(double discriminatorLoss, double generatorLoss, double realScore, double fakeScore,
                              double penalty, long images, long computeNanos, long dataWaitNanos) implements Serializable {

    /** Nothing yet: where a sum over workers starts. */
    public static final RoundStatistics ZERO = new RoundStatistics(0, 0, 0, 0, 0, 0, 0, 0);

    /** These and {@code other}'s sums added, the slower compute time and longer wait kept. */
    public RoundStatistics plus(RoundStatistics other) {
        return new RoundStatistics(discriminatorLoss + other.discriminatorLoss, generatorLoss + other.generatorLoss,
                realScore + other.realScore, fakeScore + other.fakeScore, penalty + other.penalty,
                images + other.images,
                Math.max(computeNanos, other.computeNanos), Math.max(dataWaitNanos, other.dataWaitNanos));
    }

    /** The values an all-reduce adds, in a fixed order ({@link #reduced} reads them back). */
    public double[] sums() {
        return new double[] {discriminatorLoss, generatorLoss, realScore, fakeScore, penalty, images};
    }

    /** The values an all-reduce takes the maximum of. */
    public double[] maxima() {
        return new double[] {computeNanos, dataWaitNanos};
    }

    /** Statistics from the arrays an all-reduce of {@link #sums} and {@link #maxima} produced. */
    public static RoundStatistics reduced(double[] sums, double[] maxima) {
        return new RoundStatistics(sums[0], sums[1], sums[2], sums[3], sums[4], (long) sums[5], (long) maxima[0],
                (long) maxima[1]);
    }

    public double meanDiscriminatorLoss() {
        return discriminatorLoss / images;
    }

    public double meanGeneratorLoss() {
        return generatorLoss / images;
    }

    public double meanRealScore() {
        return realScore / images;
    }

    public double meanFakeScore() {
        return fakeScore / images;
    }
}

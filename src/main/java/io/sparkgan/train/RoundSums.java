package io.sparkgan.train;

import java.util.List;

/**
 * The partitions' results of one round added up in partition order. A fixed order makes the float
 * sums, and so the whole run, bit-for-bit reproducible; Spark's reduce and treeAggregate merge
 * results in whatever order tasks finish.
 */
final class RoundSums {
    final float[] discriminatorGradient;
    final float[] generatorGradient;
    final double discriminatorLoss;
    final double generatorLoss;
    final double realScore;
    final double fakeScore;
    final long images;
    final long maxComputeNanos;
    final long wallNanos;
    /**
     * Floats sent to the executors (parameter broadcasts); bytes of gradients received back (in
     * collective mode: bytes all workers sent each other in the all-reduce).
     */
    final long floatsSent;
    final long gradientBytesReceived;
    /** Driver time spent creating the round's broadcasts. */
    final long broadcastNanos;

    private RoundSums(float[] dGrad, float[] gGrad, double dLoss, double gLoss, double real, double fake, long images,
                      long maxCompute, long wall, long floatsSent, long gradientBytesReceived, long broadcastNanos) {
        this.discriminatorGradient = dGrad;
        this.generatorGradient = gGrad;
        this.discriminatorLoss = dLoss;
        this.generatorLoss = gLoss;
        this.realScore = real;
        this.fakeScore = fake;
        this.images = images;
        this.maxComputeNanos = maxCompute;
        this.wallNanos = wall;
        this.floatsSent = floatsSent;
        this.gradientBytesReceived = gradientBytesReceived;
        this.broadcastNanos = broadcastNanos;
    }

    /** Adds up results that arrive sorted by partition. */
    static RoundSums of(List<PartitionResult> results, long floatsSent, long broadcastNanos, long wallNanos) {
        float[] dGrad = null;
        float[] gGrad = null;
        double dLoss = 0;
        double gLoss = 0;
        double real = 0;
        double fake = 0;
        long images = 0;
        long maxCompute = 0;
        long received = 0;
        for (PartitionResult r : results) {
            dGrad = add(dGrad, r.discriminatorGradient());
            gGrad = add(gGrad, r.generatorGradient());
            dLoss += r.discriminatorLoss();
            gLoss += r.generatorLoss();
            real += r.realScore();
            fake += r.fakeScore();
            images += r.images();
            maxCompute = Math.max(maxCompute, r.computeNanos());
            received += (long) r.bytesPerGradientValue()
                    * (length(r.discriminatorGradient()) + length(r.generatorGradient()));
        }
        return new RoundSums(dGrad, gGrad, dLoss, gLoss, real, fake, images, maxCompute, wallNanos, floatsSent,
                received, broadcastNanos);
    }

    /**
     * Sums that an all-reduce among the workers produced (collective mode): the same values, added in
     * the same partition order, as {@link #of} computes on the driver.
     */
    static RoundSums reduced(float[] dGrad, float[] gGrad, double dLoss, double gLoss, double real, double fake,
                             long images, long maxCompute, long wall, long bytesMoved) {
        return new RoundSums(dGrad, gGrad, dLoss, gLoss, real, fake, images, maxCompute, wall, 0, bytesMoved, 0);
    }

    private static int length(float[] values) {
        return values == null ? 0 : values.length;
    }

    private static float[] add(float[] sum, float[] part) {
        if (part == null) {
            return sum;
        }
        if (sum == null) {
            return part.clone();
        }
        for (int i = 0; i < sum.length; i++) {
            sum[i] += part[i];
        }
        return sum;
    }

    long bytesMoved() {
        return 4 * floatsSent + gradientBytesReceived;
    }

    /** The gradient of the mean loss: the summed gradient divided by the number of images. */
    static float[] mean(float[] sum, long images) {
        float[] mean = new float[sum.length];
        float scale = 1f / images;
        for (int i = 0; i < sum.length; i++) {
            mean[i] = sum[i] * scale;
        }
        return mean;
    }
}

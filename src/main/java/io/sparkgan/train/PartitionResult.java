package io.sparkgan.train;

import java.io.Serializable;

/**
 * What one partition sends back for one round: gradient sums (not means) and statistic sums, so the
 * driver can add partitions up and divide by the global image count.
 */
public record PartitionResult(int partition, float[] discriminatorGradient, float[] generatorGradient,
                              double discriminatorLoss, double generatorLoss, double realScore,
                              double fakeScore, int images, long computeNanos) implements Serializable {}

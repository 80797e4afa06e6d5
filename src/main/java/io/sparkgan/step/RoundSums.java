package io.sparkgan.step;

import java.io.Serializable;
import java.util.List;

/**
 * The workers' results of one round added up, in worker order: the gradient sums of the networks
 * the round asked for (null for the other) and the statistics. The order is fixed because float
 * addition is not associative: adding in worker order makes the sums, and so the whole run, the
 * same bits every time and in both synchronisation modes (Spark's reduce and treeAggregate merge
 * results in whatever order tasks finish). One worker's share is a {@code RoundSums} too.
 */
public record RoundSums(float[] discriminatorGradient, float[] generatorGradient, RoundStatistics statistics,
                        RoundCost cost) implements Serializable {

    /** One worker's share of a round (its cost is the round's, known only when all are in). */
    public static RoundSums ofWorker(float[] discriminatorGradient, float[] generatorGradient,
                                     RoundStatistics statistics) {
        return new RoundSums(discriminatorGradient, generatorGradient, statistics, RoundCost.ZERO);
    }

    /** The workers' shares added up in the order given, which must be worker order. */
    public static RoundSums inWorkerOrder(List<RoundSums> workers) {
        float[] d = null;
        float[] g = null;
        RoundStatistics statistics = RoundStatistics.ZERO;
        for (RoundSums w : workers) {
            d = add(d, w.discriminatorGradient);
            g = add(g, w.generatorGradient);
            statistics = statistics.plus(w.statistics);
        }
        return new RoundSums(d, g, statistics, RoundCost.ZERO);
    }

    /** These sums with what the round cost. */
    public RoundSums withCost(RoundCost roundCost) {
        return new RoundSums(discriminatorGradient, generatorGradient, statistics, roundCost);
    }

    /** The gradient of D's mean loss: the summed gradient divided by the number of images. */
    public float[] meanDiscriminatorGradient() {
        return mean(discriminatorGradient, statistics.images());
    }

    /** The gradient of G's mean loss. */
    public float[] meanGeneratorGradient() {
        return mean(generatorGradient, statistics.images());
    }

    /** The summed gradient divided by the number of images, in float32 as every replica computes it. */
    public static float[] mean(float[] sum, long images) {
        float[] mean = new float[sum.length];
        float scale = 1f / images;
        for (int i = 0; i < sum.length; i++) {
            mean[i] = sum[i] * scale;
        }
        return mean;
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
}

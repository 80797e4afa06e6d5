package io.sparkgan.eval;

import java.io.Serializable;
import java.util.Arrays;
import java.util.TreeMap;

/**
 * What the executors send back about one set of images: running feature statistics, the
 * evaluator's predicted-class counts (empty for other extractors) and a few feature rows per
 * partition for KID. The KID rows are kept by partition so the driver sees them in a fixed order
 * whatever order tasks finished in.
 */
final class FeatureSummary implements Serializable {
    final FeatureStats stats;
    final long[] classCounts;
    final TreeMap<Integer, double[][]> kidRows = new TreeMap<>();

    FeatureSummary(int dimension, int classes) {
        this.stats = new FeatureStats(dimension);
        this.classCounts = new long[classes];
    }

    FeatureSummary merge(FeatureSummary other) {
        stats.merge(other.stats);
        for (int c = 0; c < classCounts.length; c++) {
            classCounts[c] += other.classCounts[c];
        }
        kidRows.putAll(other.kidRows);
        return this;
    }

    /** All KID rows in partition order. */
    double[][] kidFeatures() {
        return kidRows.values().stream().flatMap(Arrays::stream).toArray(double[][]::new);
    }
}

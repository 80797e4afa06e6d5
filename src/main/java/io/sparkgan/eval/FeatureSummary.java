package io.sparkgan.eval;

import java.io.Serializable;
import java.util.Arrays;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What the executors send back about one set of images: running feature statistics, the
 * evaluator's predicted-class counts (empty for other extractors), the Inception Score's sums (on
 * the evaluator's probabilities, generated images only; null otherwise) and a few feature rows per
 * partition for KID and precision/recall. The KID rows are kept by partition so the driver sees them in a fixed order
 * whatever order tasks finished in.
 */
final class FeatureSummary implements Serializable {
    final FeatureStats stats;
    final long[] classCounts;
    final TreeMap<Integer, double[][]> kidRows = new TreeMap<>();
    final InceptionScore.Sums inceptionScore;
    /**
     * Statistics per class (a conditional G's intended class, a real image's label) for intra-class
     * FID; null unless asked for.
     */
    FeatureStats[] perClass;
    /** A conditional G's images the evaluator put in their intended class, and how many were judged so. */
    long classMatches;
    long classJudged;

    FeatureSummary(int dimension, int classes) {
        this(dimension, classes, null);
    }

    FeatureSummary(int dimension, int classes, InceptionScore.Sums inceptionScore) {
        this.stats = new FeatureStats(dimension);
        this.classCounts = new long[classes];
        this.inceptionScore = inceptionScore;
    }

    FeatureSummary merge(FeatureSummary other) {
        stats.merge(other.stats);
        if (inceptionScore != null && other.inceptionScore != null) {
            inceptionScore.merge(other.inceptionScore);
        }
        for (int c = 0; c < classCounts.length; c++) {
            classCounts[c] += other.classCounts[c];
        }
        kidRows.putAll(other.kidRows);
        if (perClass != null && other.perClass != null) {
            for (int c = 0; c < perClass.length; c++) {
                perClass[c].merge(other.perClass[c]);
            }
        }
        classMatches += other.classMatches;
        classJudged += other.classJudged;
        return this;
    }

    /** Keeps statistics per class from now on ({@code classes} of them, features of {@code dimension}). */
    FeatureSummary withClassStatistics(int classes, int dimension) {
        perClass = new FeatureStats[classes];
        for (int c = 0; c < classes; c++) {
            perClass[c] = new FeatureStats(dimension);
        }
        return this;
    }

    /** Adds each row of {@code features} to the statistics of its class. */
    void addPerClass(INDArray features, int[] classes) {
        for (int c = 0; c < perClass.length; c++) {
            int chosen = c;
            int[] rows = IntStream.range(0, classes.length).filter(i -> classes[i] == chosen)
                    .toArray(); // an unlabelled image (-1) is in none
            if (rows.length > 0) {
                perClass[c].add(features.getRows(rows));
            }
        }
    }

    /** Counts the images whose predicted class is the one they were generated for. */
    void countClassMatches(int[] intended, int[] predicted) {
        for (int i = 0; i < intended.length; i++) {
            classMatches += intended[i] == predicted[i] ? 1 : 0;
        }
        classJudged += intended.length;
    }

    /** All KID rows in partition order. */
    double[][] kidFeatures() {
        return kidRows.values().stream().flatMap(Arrays::stream).toArray(double[][]::new);
    }
}

package io.sparkgan.eval;

import java.io.Serializable;

/**
 * The Inception Score (Salimans et al., "Improved Techniques for Training GANs", 2016):
 * IS = exp(E_x KL(p(y|x) ‖ p(y))), with p(y|x) a classifier's class probabilities for a generated
 * image and p(y) their mean over the images; reported as the mean and standard deviation over
 * {@value #SPLITS} splits of the samples, as the paper's code does. Higher is better; it is at most
 * the number of classes.
 *
 * <p>Per split, KL's expectation is E[Σ_y p log p] − Σ_y p̄ log p̄, so a split needs only the count,
 * Σ p(y|x) per class and Σ_x Σ_y p log p: sums that partitions add up in any order (here in a fixed
 * tree, so the same samples give the same bits). Sample i of n falls in split ⌊i·S/n⌋, whatever
 * partition computed it.
 *
 * <p>sparkgan computes it on the evaluator's probabilities (its own classifier of the dataset's
 * classes), whose figures rank generators of one dataset and are not comparable with published
 * ImageNet-Inception scores, or on InceptionV3's when its model has the classifier layer.
 */
final class InceptionScore {
    /** Salimans et al.'s split count. */
    static final int SPLITS = 10;
    /** p log p is taken as 0 below this probability (its limit at 0), and p̄ likewise. */
    private static final double TINY = 1e-30;

    /** The mean and standard deviation of the splits' scores. */
    record Result(double mean, double std) {}

    /** The sums of every split: what a partition sends back and partitions add up. */
    static final class Sums implements Serializable {
        private final long total;
        private final long[] counts = new long[SPLITS];
        private final double[][] probabilitySums;
        private final double[] plogpSums = new double[SPLITS];

        /** For {@code total} samples in all over {@code classes} classes. */
        Sums(long total, int classes) {
            this.total = total;
            this.probabilitySums = new double[SPLITS][classes];
        }

        /** Adds sample {@code index}'s class probabilities. */
        void add(long index, double[] probabilities) {
            int split = (int) (index * SPLITS / total);
            counts[split]++;
            double plogp = 0;
            for (int y = 0; y < probabilities.length; y++) {
                double p = probabilities[y];
                probabilitySums[split][y] += p;
                plogp += p > TINY ? p * Math.log(p) : 0;
            }
            plogpSums[split] += plogp;
        }

        Sums merge(Sums other) {
            for (int s = 0; s < SPLITS; s++) {
                counts[s] += other.counts[s];
                plogpSums[s] += other.plogpSums[s];
                for (int y = 0; y < probabilitySums[s].length; y++) {
                    probabilitySums[s][y] += other.probabilitySums[s][y];
                }
            }
            return this;
        }

        /** The score over the splits that hold samples. */
        Result score() {
            double sum = 0;
            double squares = 0;
            int used = 0;
            for (int s = 0; s < SPLITS; s++) {
                if (counts[s] == 0) {
                    continue;
                }
                double meanPlogp = plogpSums[s] / counts[s];
                double marginal = 0;
                for (double p : probabilitySums[s]) {
                    double mean = p / counts[s];
                    marginal += mean > TINY ? mean * Math.log(mean) : 0;
                }
                double score = Math.exp(meanPlogp - marginal);
                sum += score;
                squares += score * score;
                used++;
            }
            if (used == 0) {
                return new Result(Double.NaN, Double.NaN);
            }
            double mean = sum / used;
            return new Result(mean, Math.sqrt(Math.max(0, squares / used - mean * mean)));
        }
    }

    private InceptionScore() {
    }
}

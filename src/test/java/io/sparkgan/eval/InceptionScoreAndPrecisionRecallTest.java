package io.sparkgan.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The Inception Score's mergeable sums and the k-NN precision and recall against the papers'
 * definitions written out directly here (a loop over splits of the probability matrix; brute-force
 * distances and sorting), and against values known in closed form.
 */
class InceptionScoreAndPrecisionRecallTest {

    private static double[][] probabilities(int n, int classes, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[][] p = new double[n][classes];
        for (double[] row : p) {
            double sum = 0;
            for (int y = 0; y < classes; y++) {
                row[y] = Math.exp(3 * random.nextDouble());
                sum += row[y];
            }
            for (int y = 0; y < classes; y++) {
                row[y] /= sum;
            }
        }
        return p;
    }

    /** Salimans et al.'s definition per split, as their code computes it: mean of exp(mean KL(p ‖ p̄)). */
    private static double[] direct(double[][] p, int splits) {
        double[] scores = new double[splits];
        int n = p.length;
        for (int s = 0; s < splits; s++) {
            int from = s * n / splits;
            int to = (s + 1) * n / splits;
            double[] marginal = new double[p[0].length];
            for (int i = from; i < to; i++) {
                for (int y = 0; y < marginal.length; y++) {
                    marginal[y] += p[i][y] / (to - from);
                }
            }
            double kl = 0;
            for (int i = from; i < to; i++) {
                for (int y = 0; y < marginal.length; y++) {
                    kl += p[i][y] * (Math.log(p[i][y]) - Math.log(marginal[y]));
                }
            }
            scores[s] = Math.exp(kl / (to - from));
        }
        return scores;
    }

    @Test
    void inceptionScoreFromPartitionSumsIsTheDirectFormula() {
        double[][] p = probabilities(1000, 10, 1);
        double[] expected = direct(p, InceptionScore.SPLITS);
        double mean = Arrays.stream(expected).average().orElseThrow();
        double std = Math.sqrt(Arrays.stream(expected).map(x -> (x - mean) * (x - mean)).average().orElseThrow());
        // three "partitions" of uneven size, merged in another order than they were filled
        InceptionScore.Sums[] parts = {new InceptionScore.Sums(1000, 10), new InceptionScore.Sums(1000, 10),
            new InceptionScore.Sums(1000, 10)};
        for (int i = 0; i < p.length; i++) {
            parts[i < 123 ? 0 : i < 700 ? 1 : 2].add(i, p[i]);
        }
        InceptionScore.Result is = parts[2].merge(parts[0]).merge(parts[1]).score();
        assertEquals(mean, is.mean(), 1e-10 * mean);
        assertEquals(std, is.std(), 1e-9);
        assertTrue(is.mean() > 1 && is.mean() < 10);
    }

    @Test
    void inceptionScoreIsOneForIdenticalPredictionsAndTheClassCountForConfidentBalancedOnes() {
        InceptionScore.Sums same = new InceptionScore.Sums(100, 4);
        InceptionScore.Sums confident = new InceptionScore.Sums(400, 4);
        for (int i = 0; i < 100; i++) {
            same.add(i, new double[] {0.7, 0.1, 0.1, 0.1});
        }
        for (int i = 0; i < 400; i++) {
            double[] oneHot = new double[4];
            oneHot[i % 4] = 1;
            confident.add(i, oneHot);
        }
        assertEquals(1.0, same.score().mean(), 1e-12);
        assertEquals(4.0, confident.score().mean(), 1e-12);
        assertEquals(0.0, confident.score().std(), 1e-12);
    }

    private static double[][] points(int n, int d, double shift, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double[][] x = new double[n][d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = random.nextDouble() * 2 - 1 + (j == 0 ? shift : 0);
            }
        }
        return x;
    }

    /** Kynkäänniemi et al.'s definitions, brute force: sorted distances, then a scan over every ball. */
    private static double coverage(double[][] points, double[][] manifold, int k) {
        double[] radii = new double[manifold.length];
        for (int i = 0; i < manifold.length; i++) {
            double[] d = new double[manifold.length];
            for (int j = 0; j < manifold.length; j++) {
                d[j] = i == j ? Double.POSITIVE_INFINITY : distance(manifold[i], manifold[j]);
            }
            Arrays.sort(d);
            radii[i] = d[k - 1];
        }
        int inside = 0;
        for (double[] p : points) {
            for (int j = 0; j < manifold.length; j++) {
                if (distance(p, manifold[j]) <= radii[j]) {
                    inside++;
                    break;
                }
            }
        }
        return (double) inside / points.length;
    }

    private static double distance(double[] a, double[] b) {
        double s = 0;
        for (int j = 0; j < a.length; j++) {
            s += (a[j] - b[j]) * (a[j] - b[j]);
        }
        return Math.sqrt(s);
    }

    @Test
    void precisionAndRecallAreTheBruteForceDefinitions() {
        double[][] real = points(600, 5, 0, 2);
        double[][] generated = points(700, 5, 0.8, 3); // shifted: partly outside the real manifold
        PrecisionRecall.Result pr = PrecisionRecall.of(real, generated); // 600 and 700 rows: several blocks
        assertEquals(coverage(generated, real, PrecisionRecall.K), pr.precision(), 1e-12);
        assertEquals(coverage(real, generated, PrecisionRecall.K), pr.recall(), 1e-12);
        assertTrue(pr.precision() > 0.2 && pr.precision() < 0.95, "the test tells shifted sets apart: " + pr);

        PrecisionRecall.Result same = PrecisionRecall.of(real, real);
        assertEquals(1.0, same.precision());
        assertEquals(1.0, same.recall());
        PrecisionRecall.Result far = PrecisionRecall.of(real, points(300, 5, 100, 4));
        assertEquals(0.0, far.precision());
        assertEquals(0.0, far.recall());
    }
}

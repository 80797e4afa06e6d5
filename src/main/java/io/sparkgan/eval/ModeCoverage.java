package io.sparkgan.eval;

/**
 * How well generated samples cover the classes (modes) of the real data, judged by an evaluator
 * classifier's predicted classes, in the spirit of the mode counts of Metz et al. ("Unrolled
 * Generative Adversarial Networks", ICLR 2017) and Srivastava et al. ("VEEGAN", NeurIPS 2017):
 *
 * <ul>
 *   <li>{@code coverage}: the fraction of the real data's classes that are present among the
 *       generated samples. A class is present when its share of the generated samples is at least
 *       {@value #PRESENCE_FRACTION} of its share of the real data. A bare "count &gt; 0" would let a
 *       few stray or misclassified samples of a collapsed generator count as covering a mode; one
 *       tenth of the expected share only passes for a class the generator really produces, and is
 *       still far from demanding the exact real proportions. Classes absent from the real data are
 *       not counted.</li>
 *   <li>{@code kl}: KL(p_gen ‖ p_real) = Σ p_gen log(p_gen / p_real) in nats over the class
 *       histograms, with p_real mixed with {@value #SMOOTHING} of the uniform distribution so that a
 *       generated class the real data lacks gives a large but finite value.</li>
 * </ul>
 */
public final class ModeCoverage {
    /** A class is covered when its generated share is at least this fraction of its real share. */
    public static final double PRESENCE_FRACTION = 0.1;
    /** Weight of the uniform distribution mixed into p_real; changes KL by about this much. */
    public static final double SMOOTHING = 1e-10;

    /** The coverage fraction, KL in nats, and the number of covered classes out of the real data's. */
    public record Result(double coverage, double kl, int coveredClasses, int realClasses) {
    }

    private ModeCoverage() {
    }

    /**
     * @param generatedCounts the evaluator's predicted-class counts over the generated samples
     * @param realCounts the class histogram of the real data, same classes in the same order
     */
    public static Result of(long[] generatedCounts, long[] realCounts) {
        if (generatedCounts.length != realCounts.length) {
            throw new IllegalArgumentException("generated counts have " + generatedCounts.length
                    + " classes but real counts have " + realCounts.length);
        }
        int classes = realCounts.length;
        double generatedTotal = total(generatedCounts, "generated");
        double realTotal = total(realCounts, "real");
        int realClasses = 0;
        int covered = 0;
        double kl = 0;
        for (int c = 0; c < classes; c++) {
            double pGen = generatedCounts[c] / generatedTotal;
            double pReal = realCounts[c] / realTotal;
            if (realCounts[c] > 0) {
                realClasses++;
                if (generatedCounts[c] > 0 && pGen >= PRESENCE_FRACTION * pReal) {
                    covered++;
                }
            }
            if (generatedCounts[c] > 0) {
                double smoothed = (1 - SMOOTHING) * pReal + SMOOTHING / classes;
                kl += pGen * Math.log(pGen / smoothed);
            }
        }
        return new Result((double) covered / realClasses, kl, covered, realClasses);
    }

    private static double total(long[] counts, String name) {
        if (counts.length == 0) {
            throw new IllegalArgumentException("no classes in the " + name + " counts");
        }
        long total = 0;
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] < 0) {
                throw new IllegalArgumentException(name + " count of class " + c + " is negative: " + counts[c]);
            }
            total = Math.addExact(total, counts[c]);
        }
        if (total == 0) {
            throw new IllegalArgumentException("all " + name + " counts are 0");
        }
        return total;
    }
}

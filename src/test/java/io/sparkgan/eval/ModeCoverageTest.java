package io.sparkgan.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ModeCoverageTest {
    private static final long[] UNIFORM_REAL = uniform(10, 6000);

    @Test
    void uniformGeneratedSamplesCoverEveryClass() {
        ModeCoverage.Result result = ModeCoverage.of(uniform(10, 1000), UNIFORM_REAL);
        assertEquals(1.0, result.coverage());
        assertEquals(10, result.coveredClasses());
        assertEquals(0, result.kl(), 1e-9);
    }

    @Test
    void aCollapsedGeneratorCoversOneClassOutOfTen() {
        long[] collapsed = new long[10];
        collapsed[3] = 10_000;
        ModeCoverage.Result result = ModeCoverage.of(collapsed, UNIFORM_REAL);
        assertEquals(0.1, result.coverage());
        assertEquals(1, result.coveredClasses());
        assertEquals(Math.log(10), result.kl(), 1e-9);
    }

    /** A handful of stray samples in a class does not cover it; a tenth of its expected share does. */
    @Test
    void aClassNeedsATenthOfItsRealShareToCount() {
        long[] generated = new long[10];
        Arrays.fill(generated, 0, 9, 1000);
        generated[9] = 3; // 0.03% of samples against a real share of 10%
        assertEquals(0.9, ModeCoverage.of(generated, UNIFORM_REAL).coverage());
        generated[9] = 90; // 0.990% of 9090 samples, just under a tenth of the real share of 10%
        assertEquals(0.9, ModeCoverage.of(generated, UNIFORM_REAL).coverage());
        generated[9] = 91; // 1.001% of 9091 samples, just over
        assertEquals(1.0, ModeCoverage.of(generated, UNIFORM_REAL).coverage());
    }

    @Test
    void classesMissingFromTheRealDataAreNotCountedButRaiseKl() {
        long[] real = {500, 500, 0};
        ModeCoverage.Result matched = ModeCoverage.of(new long[] {50, 50, 0}, real);
        assertEquals(1.0, matched.coverage());
        assertEquals(2, matched.realClasses());
        ModeCoverage.Result invented = ModeCoverage.of(new long[] {50, 40, 10}, real);
        assertTrue(Double.isFinite(invented.kl()) && invented.kl() > 1, "KL " + invented.kl());
    }

    @Test
    void malformedCountsAreRejected() {
        String lengths = assertThrows(IllegalArgumentException.class,
                () -> ModeCoverage.of(new long[] {1, 2}, new long[] {1, 2, 3})).getMessage();
        assertTrue(lengths.contains("2 classes") && lengths.contains("3"), lengths);
        String negative = assertThrows(IllegalArgumentException.class,
                () -> ModeCoverage.of(new long[] {1, -2}, new long[] {1, 2})).getMessage();
        assertTrue(negative.contains("class 1 is negative"), negative);
        String empty = assertThrows(IllegalArgumentException.class,
                () -> ModeCoverage.of(new long[] {0, 0}, new long[] {1, 2})).getMessage();
        assertTrue(empty.contains("all generated counts are 0"), empty);
    }

    private static long[] uniform(int classes, long each) {
        long[] counts = new long[classes];
        Arrays.fill(counts, each);
        return counts;
    }
}

package io.sparkgan.model.networks;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.model.ParamLayout;
import java.util.HashSet;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Central finite differences in double precision for the networks' end-to-end gradient tests: every
 * stride-th parameter and the first of each tensor, each against backpropagation within a relative
 * 1e-5 plus 1e-8.
 */
final class FiniteDifferences {
    private static final double STEP = 1e-6;
    private static final double RELATIVE = 1e-5;
    private static final double ABSOLUTE = 1e-8;

    private FiniteDifferences() {
    }

    /** Standard normal doubles of {@code shape}, from {@code seed}. */
    static INDArray doubles(long seed, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.DOUBLE, shape);
    }

    /** The initial parameters, jittered so that no value sits at 0 (a leaky ReLU's kink, a zero noise strength). */
    static INDArray generic(ParamLayout layout, long seed) {
        INDArray initial = Nd4j.createFromArray(layout.initialise(seed)).castTo(DataType.DOUBLE);
        return initial.add(doubles(seed + 100, layout.size()).mul(0.1));
    }

    static double difference(INDArray x, long i, ToDoubleFunction<INDArray> f) {
        double original = x.getDouble(i);
        x.putScalar(i, original + STEP);
        double up = f.applyAsDouble(x);
        x.putScalar(i, original - STEP);
        double down = f.applyAsDouble(x);
        x.putScalar(i, original);
        return (up - down) / (2 * STEP);
    }

    static void check(INDArray params, INDArray analytic, int stride, ParamLayout layout,
                              ToDoubleFunction<INDArray> loss) {
        Set<Long> firsts = new HashSet<>();
        layout.params().forEach(p -> firsts.add(p.offset()));
        int nonzero = 0;
        for (long i = 0; i < params.length(); i++) {
            if (i % stride != 0 && !firsts.contains(i)) {
                continue;
            }
            double numeric = difference(params, i, loss);
            double exact = analytic.getDouble(i);
            double allowed = RELATIVE * Math.max(Math.abs(numeric), Math.abs(exact)) + ABSOLUTE;
            long at = i;
            assertTrue(Math.abs(numeric - exact) <= allowed, layout.params().stream()
                    .filter(p -> at >= p.offset() && at < p.offset() + p.length()).findFirst().orElseThrow().name()
                    + " [" + at + "]: backprop " + exact + ", finite difference " + numeric);
            nonzero += numeric != 0 ? 1 : 0;
        }
        assertTrue(nonzero > 10, "derivatives are nonzero: " + nonzero);
    }
}

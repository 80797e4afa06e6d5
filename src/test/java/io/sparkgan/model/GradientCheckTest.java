package io.sparkgan.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.ToDoubleFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * D's and G's analytic gradients (SameDiff's backprop) against central finite differences of the
 * same losses, in double precision, on a network small enough to perturb every parameter.
 */
class GradientCheckTest {
    private static final double EPSILON = 1e-6;
    private static final double RELATIVE = 1e-5;
    private static final double ABSOLUTE = 1e-8;

    /** 16×16 images: two stride-2 stages, so every layer kind (and batch norm between them) is covered. */
    private static final GanArchitecture SMALL = new GanArchitecture(16, 1, 5, 2, 2, true);

    private static INDArray doubles(long seed, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.DOUBLE, shape);
    }

    private static GanReplica replica(GanArchitecture a, GanLoss loss, double realTarget) {
        GanReplica r = new GanReplica(a, loss, realTarget, DataType.DOUBLE);
        r.setGenerator(Nd4j.createFromArray(r.generatorLayout().initialise(1)).castTo(DataType.DOUBLE).mul(10));
        r.setDiscriminator(Nd4j.createFromArray(r.discriminatorLayout().initialise(2)).castTo(DataType.DOUBLE).mul(10));
        return r;
    }

    @ParameterizedTest(name = "{0}, batch norm {1}, real target {2}")
    @CsvSource({"NON_SATURATING, true, 1.0", "NON_SATURATING, false, 0.9", "WGAN, true, 1.0"})
    void discriminatorGradientMatchesFiniteDifferences(GanLoss loss, boolean batchNorm, double realTarget) {
        GanArchitecture a = new GanArchitecture(16, 1, 5, 2, 2, batchNorm);
        GanReplica r = replica(a, loss, realTarget);
        INDArray real = doubles(3, 4, 1, 16, 16).mul(0.5);
        INDArray fake = doubles(4, 4, 1, 16, 16).mul(0.5);
        INDArray params = Nd4j.createFromArray(r.discriminatorLayout().initialise(2)).castTo(DataType.DOUBLE).mul(10);
        r.setDiscriminator(params);
        INDArray analytic = r.discriminatorRound(real, fake).gradient().dup();
        check(params, analytic, p -> {
            r.setDiscriminator(p);
            return r.discriminatorRound(real, fake).lossSum();
        });
    }

    @ParameterizedTest(name = "{0}, batch norm {1}")
    @CsvSource({"NON_SATURATING, true", "NON_SATURATING, false", "WGAN, true"})
    void generatorGradientThroughDiscriminatorMatchesFiniteDifferences(GanLoss loss, boolean batchNorm) {
        GanArchitecture a = new GanArchitecture(16, 1, 5, 2, 2, batchNorm);
        GanReplica r = replica(a, loss, 1.0);
        INDArray z = doubles(5, 4, 5);
        INDArray params = Nd4j.createFromArray(r.generatorLayout().initialise(1)).castTo(DataType.DOUBLE).mul(10);
        r.setGenerator(params);
        INDArray analytic = r.generatorRound(z).gradient().dup();
        check(params, analytic, p -> {
            r.setGenerator(p);
            return r.generatorRound(z).lossSum();
        });
    }

    private static void check(INDArray params, INDArray analytic, ToDoubleFunction<INDArray> loss) {
        assertEquals(params.length(), analytic.length());
        int checked = 0;
        double worst = 0;
        for (long i = 0; i < params.length(); i++) {
            INDArray plus = params.dup();
            plus.putScalar(i, params.getDouble(i) + EPSILON);
            INDArray minus = params.dup();
            minus.putScalar(i, params.getDouble(i) - EPSILON);
            double numeric = (loss.applyAsDouble(plus) - loss.applyAsDouble(minus)) / (2 * EPSILON);
            double exact = analytic.getDouble(i);
            double error = Math.abs(numeric - exact);
            double allowed = RELATIVE * Math.max(Math.abs(numeric), Math.abs(exact)) + ABSOLUTE;
            worst = Math.max(worst, error / allowed);
            assertTrue(error <= allowed, "parameter " + i + ": backprop " + exact + ", finite difference " + numeric);
            checked++;
        }
        assertEquals(params.length(), checked);
        assertTrue(worst < 1, "worst error/allowed " + worst);
    }
}

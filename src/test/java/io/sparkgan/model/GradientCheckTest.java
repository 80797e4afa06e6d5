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
 *
 * <p>The parameters are moved off DCGAN's initial point first: with zero biases some generated
 * pixels are exactly tanh(0) = 0, which puts LeakyReLU units of D exactly on their kink, where a
 * finite difference measures the average of the two slopes and no gradient can match it.
 */
class GradientCheckTest {
    private static final double EPSILON = 1e-6;
    private static final double RELATIVE = 1e-5;
    private static final double ABSOLUTE = 1e-8;

    private static INDArray doubles(long seed, long... shape) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.DOUBLE, shape);
    }

    private static GanReplica replica(GanArchitecture a, GanLoss loss, double realTarget) {
        GanReplica r = new GanReplica(a, loss, realTarget, DataType.DOUBLE);
        r.setGenerator(generic(r.generatorLayout(), 1));
        r.setDiscriminator(generic(r.discriminatorLayout(), 2));
        return r;
    }

    /** DCGAN's initial parameters, scaled up and jittered so that no parameter (bias included) is 0. */
    private static INDArray generic(ParamLayout layout, long seed) {
        INDArray initial = Nd4j.createFromArray(layout.initialise(seed)).castTo(DataType.DOUBLE).mul(5);
        return initial.add(doubles(seed + 100, layout.size()).mul(0.05));
    }

    @ParameterizedTest(name = "{0}, D norm {1}, real target {2}")
    @CsvSource({"NON_SATURATING, BATCH, 1.0", "NON_SATURATING, NONE, 0.9", "WGAN, BATCH, 1.0", "HINGE, BATCH, 1.0",
        "LEAST_SQUARES, NONE, 1.0", "HINGE, LAYER, 1.0"})
    void discriminatorGradientMatchesFiniteDifferences(GanLoss loss, Normalisation dNorm, double realTarget) {
        GanArchitecture a = new GanArchitecture(16, 1, 5, 2, 2, Normalisation.BATCH, dNorm);
        GanReplica r = replica(a, loss, realTarget);
        INDArray real = doubles(3, 4, 1, 16, 16).mul(0.5);
        INDArray fake = doubles(4, 4, 1, 16, 16).mul(0.5);
        INDArray params = generic(r.discriminatorLayout(), 2);
        r.setDiscriminator(params);
        INDArray analytic = r.discriminatorRound(real, fake).gradient().dup();
        check(params, analytic, p -> {
            r.setDiscriminator(p);
            return r.discriminatorRound(real, fake).lossSum();
        });
    }

    @ParameterizedTest(name = "{0}, G norm {1}, D norm {2}")
    @CsvSource({"NON_SATURATING, BATCH, BATCH", "NON_SATURATING, NONE, NONE", "WGAN, BATCH, BATCH", "HINGE, BATCH, BATCH",
        "LEAST_SQUARES, BATCH, BATCH", "WGAN_GP, NONE, LAYER"})
    void generatorGradientThroughDiscriminatorMatchesFiniteDifferences(GanLoss loss, Normalisation gNorm,
                                                                        Normalisation dNorm) {
        GanArchitecture a = new GanArchitecture(16, 1, 5, 2, 2, gNorm, dNorm);
        GanReplica r = replica(a, loss, 1.0);
        INDArray z = doubles(5, 4, 5);
        INDArray params = generic(r.generatorLayout(), 1);
        r.setGenerator(params);
        INDArray analytic = r.generatorRound(z).gradient().dup();
        check(params, analytic, p -> {
            r.setGenerator(p);
            return r.generatorRound(z).lossSum();
        });
    }

    /**
     * A conditional pair (Miyato and Koyama's projection in D, the class one-hot next to z in G): D's
     * gradient, the embedding's included; G's through D; and WGAN-GP's penalty, whose tangent goes
     * through the projection term.
     */
    @org.junit.jupiter.api.Test
    void conditionalGradientsMatchFiniteDifferences() {
        GanArchitecture a = new GanArchitecture(16, 1, 5, 2, 2, Normalisation.BATCH, Normalisation.NONE, 3);
        GanReplica r = replica(a, GanLoss.WGAN_GP, 1.0);
        INDArray real = doubles(3, 4, 1, 16, 16).mul(0.5);
        INDArray fake = doubles(4, 4, 1, 16, 16).mul(0.5);
        int[] realClasses = {0, 2, 1, 2};
        int[] fakeClasses = {1, 1, 0, 2};
        java.util.List<GradientPenalty> penalties = java.util.List.of(GradientPenalty.wganGp(10));
        float[] mixing = {0.2f, 0.4f, 0.6f, 0.8f};
        INDArray dParams = generic(r.discriminatorLayout(), 2);
        r.setDiscriminator(dParams);
        java.util.function.Supplier<GanReplica.RoundOutput> round = () -> r.discriminatorRound(
                new GanReplica.DiscriminatorBatch(real, realClasses, fake, fakeClasses, penalties, mixing, null, null));
        INDArray analytic = round.get().gradient().dup();
        ParamLayout.Param embed = r.discriminatorLayout().get("d/embed/W");
        assertTrue(analytic.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(embed.offset(),
                embed.offset() + embed.length())).amaxNumber().doubleValue() > 0, "the embedding learns");
        check(dParams, analytic, p -> {
            r.setDiscriminator(p);
            GanReplica.RoundOutput out = round.get();
            return out.lossSum() + out.penaltySum();
        });

        r.setDiscriminator(dParams);
        INDArray z = doubles(5, 4, 5);
        INDArray gParams = generic(r.generatorLayout(), 1);
        r.setGenerator(gParams);
        INDArray gAnalytic = r.generatorRound(z, fakeClasses, null).gradient().dup();
        check(gParams, gAnalytic, p -> {
            r.setGenerator(p);
            return r.generatorRound(z, fakeClasses, null).lossSum();
        });
        r.setGenerator(gParams);
        assertTrue(r.generate(z, new int[] {0, 0, 0, 0}).sub(r.generate(z, new int[] {1, 1, 1, 1}))
                .amaxNumber().doubleValue() > 1e-6, "the class changes the image");
    }

    /** G's gradient through D and DiffAugment's colour, translation and cutout (RGB, so saturation acts). */
    @org.junit.jupiter.api.Test
    void generatorGradientThroughAugmentationMatchesFiniteDifferences() {
        GanArchitecture a = new GanArchitecture(16, 3, 5, 2, 2, Normalisation.BATCH, Normalisation.BATCH);
        GanReplica r = replica(a, GanLoss.HINGE, 1.0);
        INDArray z = doubles(6, 4, 5);
        Augmentation augmentation = Augmentation.draw(new Augmentation.Policy(true, true, true), 3, 1, 0, 2, 0, 4, 3,
                16);
        INDArray params = generic(r.generatorLayout(), 1);
        r.setGenerator(params);
        INDArray analytic = r.generatorRound(z, null, augmentation).gradient().dup();
        assertTrue(analytic.sub(r.generatorRound(z).gradient()).amaxNumber().doubleValue() > 1e-6,
                "the augmentation changes G's gradient");
        check(params, analytic, p -> {
            r.setGenerator(p);
            return r.generatorRound(z, null, augmentation).lossSum();
        });
    }

    /**
     * A gradient penalty's parameter gradient (a second derivative of D, from the tangent pass) against
     * central differences of the penalty itself, for D without normalisation (convolutions, leaky ReLU,
     * the dense logit) and with layer norm; WGAN-GP at interpolates and lazy R1 on real images. The
     * penalty's value is checked too, against ∇ₓD taken by finite differences of D's input.
     */
    @ParameterizedTest(name = "{0}, D norm {1}")
    @CsvSource({"INTERPOLATES, NONE", "INTERPOLATES, LAYER", "REAL, NONE", "REAL, LAYER"})
    void gradientPenaltyParameterGradientMatchesFiniteDifferences(GradientPenalty.Where where, Normalisation dNorm) {
        GanArchitecture a = new GanArchitecture(16, 1, 5, 2, 2, Normalisation.BATCH, dNorm);
        GanReplica r = replica(a, GanLoss.WGAN_GP, 1.0);
        INDArray real = doubles(3, 3, 1, 16, 16).mul(0.5);
        INDArray fake = doubles(4, 3, 1, 16, 16).mul(0.5);
        float[] mixing = {0.1f, 0.5f, 0.9f};
        GradientPenalty penalty = where == GradientPenalty.Where.REAL ? GradientPenalty.r1(0.7, 3)
                : GradientPenalty.wganGp(10);
        java.util.List<GradientPenalty> penalties = java.util.List.of(penalty);
        INDArray params = generic(r.discriminatorLayout(), 2);
        r.setDiscriminator(params);
        GanReplica.RoundOutput with = r.discriminatorRound(
                new GanReplica.DiscriminatorBatch(real, null, fake, null, penalties, mixing, null, null));
        INDArray analytic = with.gradient().sub(r.discriminatorRound(real, fake).gradient());

        INDArray at = where == GradientPenalty.Where.REAL ? real
                : fake.add(real.sub(fake).mul(Nd4j.createFromArray(mixing).castTo(DataType.DOUBLE).reshape(3, 1, 1, 1)));
        double expected = 0;
        for (int i = 0; i < 3; i++) {
            expected += penalty.value(inputGradientNorm(r, at, i));
        }
        assertEquals(expected, with.penaltySum(), 1e-6 * expected, "the penalty against ∇ₓD by finite differences");
        assertTrue(with.penaltySum() > 0);

        check(params, analytic, p -> {
            r.setDiscriminator(p);
            return r.discriminatorRound(
                    new GanReplica.DiscriminatorBatch(real, null, fake, null, penalties, mixing, null, null)).penaltySum();
        });
    }

    /**
     * The residual networks end to end, conditional (class-conditional batch norm in G, the projection in
     * D): D's gradient with a penalty's second-order term through its residual blocks (two branches
     * summed, average pooling, sum pooling), and G's gradient through D. Every fifth of D's parameters
     * and every ninth of G's (each tensor's first included), to keep the test short; LayersTest checks
     * every layer's parameters in full.
     */
    @ParameterizedTest(name = "resnet, penalty at {0}")
    @CsvSource({"REAL"})
    void residualNetworksGradientsMatchFiniteDifferences(GradientPenalty.Where where) {
        GanArchitecture a = new GanArchitecture(16, 1, 5, 1, 1, Normalisation.BATCH, Normalisation.NONE, 3,
                GanArchitecture.Family.RESNET);
        GanReplica r = replica(a, GanLoss.HINGE, 1.0);
        INDArray real = doubles(3, 3, 1, 16, 16).mul(0.5);
        INDArray fake = doubles(4, 3, 1, 16, 16).mul(0.5);
        int[] realClasses = {0, 2, 1};
        int[] fakeClasses = {1, 1, 0};
        float[] mixing = {0.2f, 0.6f, 0.8f};
        GradientPenalty penalty = where == GradientPenalty.Where.REAL ? GradientPenalty.r1(0.7, 1)
                : GradientPenalty.wganGp(10);
        GanReplica.DiscriminatorBatch batch = new GanReplica.DiscriminatorBatch(real, realClasses, fake, fakeClasses,
                java.util.List.of(penalty), mixing, null, null);
        INDArray d = generic(r.discriminatorLayout(), 2);
        r.setDiscriminator(d);
        GanReplica.RoundOutput round = r.discriminatorRound(batch);
        assertTrue(round.penaltySum() > 0);
        check(d, round.gradient().dup(), 5, r.discriminatorLayout(), p -> {
            r.setDiscriminator(p);
            GanReplica.RoundOutput o = r.discriminatorRound(batch);
            return o.lossSum() + o.penaltySum();
        });
        r.setDiscriminator(d);

        INDArray z = doubles(5, 3, 5);
        INDArray g = generic(r.generatorLayout(), 1);
        r.setGenerator(g);
        check(g, r.generatorRound(z, fakeClasses, null).gradient().dup(), 9, r.generatorLayout(), p -> {
            r.setGenerator(p);
            return r.generatorRound(z, fakeClasses, null).lossSum();
        });
    }

    /** ‖∇ₓD(xᵢ)‖ by central differences over image i's pixels (D judges each image on its own). */
    private static double inputGradientNorm(GanReplica r, INDArray images, int i) {
        INDArray image = images.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(i, i + 1)).dup();
        double squares = 0;
        for (long k = 0; k < image.length(); k++) {
            double derivative = centralDifference(image, k, x -> critic(r, x));
            squares += derivative * derivative;
        }
        return Math.sqrt(squares);
    }

    /** D(x) of one image: the WGAN critic's score on it, which is the critic value itself. */
    private static double critic(GanReplica r, INDArray image) {
        return r.discriminatorRound(image, image).realScoreSum();
    }

    /** The hinge and least-squares terms against their formulas, written out, on logits on both sides of 0 and ±1. */
    @org.junit.jupiter.api.Test
    void hingeAndLeastSquaresTermsAreTheirFormulas() {
        double[] l = {-2.5, -0.5, 0.25, 1.5};
        INDArray logits = Nd4j.createFromArray(l).reshape(4, 1);
        double realHinge = 0;
        double fakeHinge = 0;
        double realSquares = 0;
        double fakeSquares = 0;
        for (double x : l) {
            realHinge += Math.max(0, 1 - x);
            fakeHinge += Math.max(0, 1 + x);
            realSquares += 0.5 * (x - 1) * (x - 1);
            fakeSquares += 0.5 * x * x;
        }
        assertEquals(realHinge, GanLoss.HINGE.discriminatorOnReal(logits, 1).lossSum(), 1e-12);
        assertEquals(fakeHinge, GanLoss.HINGE.discriminatorOnFake(logits).lossSum(), 1e-12);
        assertEquals(-(l[0] + l[1] + l[2] + l[3]), GanLoss.HINGE.generator(logits).lossSum(), 1e-12);
        assertEquals(realSquares, GanLoss.LEAST_SQUARES.discriminatorOnReal(logits, 1).lossSum(), 1e-12);
        assertEquals(fakeSquares, GanLoss.LEAST_SQUARES.discriminatorOnFake(logits).lossSum(), 1e-12);
        assertEquals(realSquares, GanLoss.LEAST_SQUARES.generator(logits).lossSum(), 1e-12);
        // the hinge's derivative: −1 on real logits below 1, +1 on generated ones above −1, else 0
        assertEquals(java.util.List.of(-1.0, -1.0, -1.0, 0.0), java.util.Arrays.stream(
                GanLoss.HINGE.discriminatorOnReal(logits, 1).gradLogits().toDoubleVector()).boxed().toList());
        assertEquals(java.util.List.of(0.0, 1.0, 1.0, 1.0), java.util.Arrays.stream(
                GanLoss.HINGE.discriminatorOnFake(logits).gradLogits().toDoubleVector()).boxed().toList());
    }

    /** (f(x + εeᵢ) − f(x − εeᵢ)) / 2ε. */
    private static double centralDifference(INDArray x, long i, ToDoubleFunction<INDArray> f) {
        INDArray plus = x.dup();
        plus.putScalar(i, x.getDouble(i) + EPSILON);
        INDArray minus = x.dup();
        minus.putScalar(i, x.getDouble(i) - EPSILON);
        return (f.applyAsDouble(plus) - f.applyAsDouble(minus)) / (2 * EPSILON);
    }

    /** {@link #check} on every {@code stride}-th parameter and the first of each of {@code layout}'s tensors. */
    private static void check(INDArray params, INDArray analytic, int stride, ParamLayout layout,
                              ToDoubleFunction<INDArray> loss) {
        java.util.Set<Long> firsts = new java.util.HashSet<>();
        layout.params().forEach(p -> firsts.add(p.offset()));
        double nonzero = 0;
        for (long i = 0; i < params.length(); i++) {
            if (i % stride != 0 && !firsts.contains(i)) {
                continue;
            }
            double numeric = centralDifference(params, i, loss);
            double exact = analytic.getDouble(i);
            double allowed = RELATIVE * Math.max(Math.abs(numeric), Math.abs(exact)) + ABSOLUTE;
            assertTrue(Math.abs(numeric - exact) <= allowed, "parameter " + i + ": backprop " + exact
                    + ", finite difference " + numeric);
            nonzero += numeric != 0 ? 1 : 0;
        }
        assertTrue(nonzero > 0, "some derivative is nonzero");
    }

    private static void check(INDArray params, INDArray analytic, ToDoubleFunction<INDArray> loss) {
        assertEquals(params.length(), analytic.length());
        int checked = 0;
        double worst = 0;
        for (long i = 0; i < params.length(); i++) {
            double numeric = centralDifference(params, i, loss);
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

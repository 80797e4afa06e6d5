package io.sparkgan.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.model.Kernels.Window;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Pass;
import io.sparkgan.model.tape.Tape;
import io.sparkgan.model.Noise;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every layer on its own against central differences in double precision: for a random linear
 * functional L = Σ a⊙y + Σ c⊙ẏ of its output y and output tangent ẏ, the gradient the tape returns
 * for each parameter, each input and each input tangent is L's derivative, and ẏ itself is y's
 * directional derivative along the input tangent. Layers without a tangent (batch norms, tanh) are
 * checked on values alone. Networks are checked end to end in NetworkPassesTest and GradientCheckTest.
 */
class LayersTest {
    private static final double STEP = 1e-6;
    private static final double TOLERANCE = 1e-6;

    /** A layer under test: its parameters, and its step on the tape from its inputs. */
    interface Applied {
        Node apply(Tape tape, Params p, Node[] in);
    }

    record Case(String name, Consumer<ParamLayout.Builder> declare, Applied layer, boolean tangent, long[]... inputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static final Map<String, Layer> LAYERS = new HashMap<>();

    private static Case single(String name, Layer layer, boolean tangent, long... shape) {
        LAYERS.put(name, layer);
        return new Case(name, layer::declare, (t, p, in) -> layer.apply(t, p, in[0]), tangent, shape);
    }

    private static final INDArray ONE_HOT = Nd4j.createFromArray(new double[][] {{0, 1, 0}, {1, 0, 0}, {0, 0, 1}});

    /** A dropout mask of x's shape: 0 or 1/(1 − 0.5), drawn once. */
    private static final INDArray MASK = Nd4j.createFromArray(Noise.dropout(5, 7, 0, 1, 0, 2, 3 * 2 * 2, 0.5))
            .castTo(DataType.DOUBLE).reshape(2, 3, 2, 2);

    /** Per-pixel noise for two images of side 3. */
    private static final INDArray PIXEL_NOISE = Nd4j.createFromArray(Noise.latent(3, 1, 0, 0, 2, 9))
            .castTo(DataType.DOUBLE).reshape(2, 1, 3, 3);

    /** A modulated convolution of feature maps [2, in, side, side] and styles [2, in]. */
    private static Case modulated(String name, ModulatedConvolution conv, int in, int side) {
        return new Case(name, conv::declare, (t, p, x) -> conv.apply(t, p, x[0], x[1]), false,
                new long[] {2, in, side, side}, new long[] {2, in});
    }

    /** The single-input layers, whose graph form is checked against the tape too. */
    static Stream<Case> singleInputLayers() {
        return Stream.of(
                single("dense", new Dense("l", 4, 3), true, 3, 4),
                single("dense, equalised learning rate ×0.01", Dense.equalised("l", 4, 3, 0.01), true, 3, 4),
                single("bias", new Bias("l", 4, 3), true, 3, 3),
                single("reshape", new Reshape(2, 2, 2), true, 3, 8),
                single("conv 3×3", Convolution.of("l", 2, 3, Window.SAME_3X3, true), true, 2, 2, 5, 5),
                single("conv 3×3, equalised learning rate", Convolution.equalised("l", 2, 3, Window.SAME_3X3, true, 1),
                        true, 2, 2, 4, 4),
                single("conv 1×1", Convolution.of("l", 3, 2, Window.POINTWISE, true), true, 2, 3, 4, 4),
                single("conv 4×4 stride 2", Convolution.of("l", 2, 3, Window.DCGAN, false), true, 2, 2, 6, 6),
                single("transposed conv 4×4 stride 2", Convolution.transposed("l", 3, 2, Window.DCGAN, true), true,
                        2, 3, 3, 3),
                single("batch norm", new BatchNorm("l", 3), false, 4, 3, 3, 3),
                single("batch norm, one channel", new BatchNorm("l", 1), false, 4, 1, 3, 3),
                single("conv 3×3, one channel", Convolution.of("l", 1, 1, Window.SAME_3X3, true), true, 2, 1, 4, 4),
                single("tanh, one channel", Tanh.TANH, false, 2, 1, 3, 3),
                single("layer norm", PerImageNorm.layer("l", 3), true, 3, 3, 3, 3),
                single("instance norm", PerImageNorm.instance("l", 3), true, 2, 3, 3, 3),
                single("pixel norm", PixelNorm.CHANNELS, false, 2, 4, 2, 2),
                single("relu", LeakyRelu.RELU, true, 3, 2, 3, 3),
                single("leaky relu", LeakyRelu.DCGAN, true, 3, 2, 3, 3),
                single("tanh", Tanh.TANH, false, 2, 2, 3, 3),
                single("nearest up-sampling", Resample.NEAREST_UP, true, 2, 2, 3, 3),
                single("average pooling", Resample.AVERAGE_DOWN, true, 2, 2, 4, 6),
                single("FIR up-sampling [1,3,3,1]", FirResample.up(2), true, 2, 2, 3, 3),
                single("FIR down-sampling [1,3,3,1]", FirResample.down(2), true, 2, 2, 6, 6),
                single("sum pooling", SumPool.SPATIAL, true, 2, 3, 3, 4),
                single("FIR blur, padding 2", FirResample.blur(2, 2, 1), true, 2, 2, 4, 4),
                single("leaky relu, gain √2", LeakyRelu.STYLEGAN, true, 3, 2, 3, 3),
                single("bias, equalised ×0.01", Bias.equalised("l", 3, ParamLayout.Init.ZERO, 0.01), true, 3, 3),
                single("minibatch standard deviation, groups of 2", new MinibatchStd(2, 2, 3), true, 4, 2, 3, 3),
                single("minibatch standard deviation, one group", new MinibatchStd(3, 2, 2), true, 3, 2, 2, 2));
    }

    static Stream<Case> layers() {
        Projection projection = new Projection("d/embed", 3, 5);
        ConditionalBatchNorm cbn = new ConditionalBatchNorm("g/cbn", 2, 3);
        NoiseInjection noise = new NoiseInjection("g/noise", 3);
        return Stream.concat(singleInputLayers(), Stream.of(
                new Case("concatenation", b -> { }, (t, p, in) -> Concat.CHANNELS.apply(t, in[0], in[1]), true,
                        new long[] {2, 3, 2, 2}, new long[] {2, 1, 2, 2}),
                new Case("dropout", b -> { }, (t, p, in) -> Dropout.DROPOUT.apply(t, in[0], MASK), true,
                        new long[] {2, 3, 2, 2}),
                new Case("add", b -> { }, (t, p, in) -> Add.PLAIN.apply(t, in[0], in[1]), true,
                        new long[] {2, 3, 2, 2}, new long[] {2, 3, 2, 2}),
                new Case("add scaled by 1/√2", b -> { }, (t, p, in) -> Add.SCALED.apply(t, in[0], in[1]), true,
                        new long[] {2, 3, 2, 2}, new long[] {2, 3, 2, 2}),
                new Case("projection", projection::declare, (t, p, in) -> projection.apply(t, p, in[0], ONE_HOT), true,
                        new long[] {3, 5}),
                modulated("modulated conv 3×3", ModulatedConvolution.conv3x3("g/conv", 2, 3, false), 2, 4),
                modulated("modulated conv 3×3, up-sampling", ModulatedConvolution.conv3x3("g/conv", 2, 3, true), 2, 3),
                modulated("toRGB: modulated conv 1×1, not demodulated", ModulatedConvolution.toImage("g/rgb", 3, 2), 3, 3),
                new Case("noise injection", noise::declare, (t, p, in) -> noise.apply(t, p, in[0], PIXEL_NOISE), true,
                        new long[] {2, 3, 3, 3}),
                new Case("conditional batch norm", cbn::declare, (t, p, in) -> cbn.apply(t, p, in[0], ONE_HOT), false,
                        new long[] {3, 2, 3, 3})));
    }

    /**
     * A tangent's adjoint stops at a value that has no tangent (a branch joined from outside the input's
     * direction, as a U-Net's skip from a constant could be): the steps that made that value are not
     * asked to differentiate a tangent they never had.
     */
    @org.junit.jupiter.api.Test
    void aTangentAdjointStopsWhereTheTangentIsZero() {
        Convolution side = Convolution.of("side", 1, 1, Window.POINTWISE, true);
        ParamLayout.Builder builder = ParamLayout.builder();
        side.declare(builder);
        ParamLayout layout = builder.build();
        INDArray theta = Nd4j.ones(DataType.DOUBLE, layout.size());
        Tape tape = new Tape();
        Node a = tape.input(new Dual(Nd4j.randn(DataType.DOUBLE, 2, 3, 2, 2), Nd4j.randn(DataType.DOUBLE, 2, 3, 2, 2)));
        Node b = side.apply(tape, new Params(layout, theta), tape.input(Nd4j.randn(DataType.DOUBLE, 2, 1, 2, 2)));
        Node joined = Add.PLAIN.apply(tape, Concat.CHANNELS.apply(tape, a, b),
                tape.input(Nd4j.randn(DataType.DOUBLE, 2, 4, 2, 2)));
        INDArray gradient = Nd4j.zeros(DataType.DOUBLE, layout.size());
        List<Dual> adjoints = tape.pass(joined, layout).adjoints(
                new Dual(null, Nd4j.ones(DataType.DOUBLE, 2, 4, 2, 2)), gradient);
        assertEquals(24.0, adjoints.get(0).tangent().sumNumber().doubleValue(), 1e-12, "a's tangent: 2·3·2·2 ones");
        assertTrue(adjoints.get(1).isZero() && adjoints.get(2).isZero(), "nothing reaches the tangent-less inputs");
        assertEquals(0.0, gradient.sumNumber().doubleValue(), 0.0, "nor the side branch's parameters");
    }

    /**
     * FIR resampling's geometry is StyleGAN2's upfirdn2d with [1, 3, 3, 1] (up: zeros between samples,
     * padding 2 and 1, gain 4; down: padding 1 and 1, every second sample), worked out by hand for an
     * impulse: up-sampling one at (1, 1) of 4×4 gives the outer product of [0, ¼, ¾, ¾, ¼, 0, 0, 0] with
     * itself; down-sampling one at (2, 2) of 8×8 gives that of [⅛, ⅜, 0, 0].
     */
    @org.junit.jupiter.api.Test
    void firResamplingIsStyleGan2sUpfirdn2d() {
        double[] up = {0, 0.25, 0.75, 0.75, 0.25, 0, 0, 0};
        double[] down = {0.125, 0.375, 0, 0};
        INDArray impulse4 = Nd4j.zeros(DataType.DOUBLE, 1, 1, 4, 4);
        impulse4.putScalar(new long[] {0, 0, 1, 1}, 1);
        INDArray impulse8 = Nd4j.zeros(DataType.DOUBLE, 1, 1, 8, 8);
        impulse8.putScalar(new long[] {0, 0, 2, 2}, 1);
        INDArray upsampled = FirResample.up(1).apply(new Tape(), null, new Tape().input(impulse4)).value();
        INDArray downsampled = FirResample.down(1).apply(new Tape(), null, new Tape().input(impulse8)).value();
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 8; j++) {
                assertEquals(up[i] * up[j], upsampled.getDouble(0, 0, i, j), 1e-12, "up (" + i + ", " + j + ")");
                if (i < 4 && j < 4) {
                    assertEquals(down[i] * down[j], downsampled.getDouble(0, 0, i, j), 1e-12,
                            "down (" + i + ", " + j + ")");
                }
            }
        }
    }

    /** Each single-input layer's SameDiff form (what checkpoints export) computes what its tape step does. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("singleInputLayers")
    void graphFormMatchesTheTape(Case c) {
        ParamLayout.Builder builder = ParamLayout.builder();
        c.declare().accept(builder);
        ParamLayout layout = builder.build();
        Nd4j.getRandom().setSeed(13);
        INDArray theta = Nd4j.randn(DataType.DOUBLE, Math.max(1, layout.size())).muli(0.5);
        INDArray x = Nd4j.randn(DataType.DOUBLE, c.inputs()[0]);
        INDArray tape = forward(c, layout, theta, new INDArray[] {x}, new INDArray[] {null}).value();
        SameDiff sd = SameDiff.create();
        Params params = new Params(layout, theta);
        for (ParamLayout.Param p : layout.params()) {
            sd.var(p.name(), params.get(p.name()).dup());
        }
        long[] shape = c.inputs()[0].clone();
        shape[0] = -1;
        Layer layer = LAYERS.get(c.name());
        SDVariable out = layer.graph(sd, sd.placeHolder("x", DataType.DOUBLE, shape));
        INDArray graph = out.eval(Map.of("x", x));
        assertTrue(graph.equalsWithEps(tape.reshape(graph.shape()), 1e-9), c + ": graph " + graph + " tape " + tape);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("layers")
    void backwardAndTangentMatchCentralDifferences(Case c) {
        ParamLayout.Builder builder = ParamLayout.builder();
        c.declare().accept(builder);
        ParamLayout layout = builder.build();
        Nd4j.getRandom().setSeed(11);
        INDArray theta = Nd4j.randn(DataType.DOUBLE, Math.max(1, layout.size())).muli(0.5);
        INDArray[] x = new INDArray[c.inputs().length];
        INDArray[] xDot = new INDArray[c.inputs().length];
        for (int i = 0; i < x.length; i++) {
            x[i] = Nd4j.randn(DataType.DOUBLE, c.inputs()[i]);
            xDot[i] = c.tangent() ? Nd4j.randn(DataType.DOUBLE, c.inputs()[i]) : null;
        }
        Dual y = forward(c, layout, theta, x, xDot).dual();
        INDArray a = Nd4j.randn(DataType.DOUBLE, y.value().shape());
        INDArray cc = c.tangent() ? Nd4j.randn(DataType.DOUBLE, y.tangent().shape()) : null;

        Tape tape = new Tape();
        Node[] nodes = inputs(tape, x, xDot);
        Node out = c.layer().apply(tape, new Params(layout, theta), nodes);
        Pass pass = tape.pass(out, layout);
        INDArray gradTheta = Nd4j.zeros(DataType.DOUBLE, Math.max(1, layout.size()));
        List<Dual> adjoints = pass.adjoints(new Dual(a, cc), gradTheta);

        Functional f = (th, xs, dots) -> {
            Dual o = forward(c, layout, th, xs, dots).dual();
            double sum = o.value().mul(a).sumNumber().doubleValue();
            return cc == null ? sum : sum + o.tangent().mul(cc).sumNumber().doubleValue();
        };
        if (layout.size() > 0) {
            compare(c + ": parameters", gradTheta, i -> difference(f, theta, x, xDot, theta, i));
        }
        for (int k = 0; k < x.length; k++) {
            int input = k;
            compare(c + ": input " + k, adjoints.get(k).value(), i -> difference(f, theta, x, xDot, x[input], i));
            if (c.tangent()) {
                compare(c + ": input tangent " + k, adjoints.get(k).tangent(),
                        i -> difference(f, theta, x, xDot, xDot[input], i));
            }
        }
        if (c.tangent()) { // ẏ is the directional derivative of y along ẋ
            INDArray[] plus = new INDArray[x.length];
            INDArray[] minus = new INDArray[x.length];
            for (int k = 0; k < x.length; k++) {
                plus[k] = x[k].add(xDot[k].mul(STEP));
                minus[k] = x[k].sub(xDot[k].mul(STEP));
            }
            INDArray numeric = forward(c, layout, theta, plus, xDot).value()
                    .sub(forward(c, layout, theta, minus, xDot).value()).divi(2 * STEP);
            compare(c + ": tangent", y.tangent(), i -> numeric.getDouble(i));
        }
    }

    @FunctionalInterface
    interface Functional {
        double at(INDArray theta, INDArray[] x, INDArray[] xDot);
    }

    @FunctionalInterface
    interface Numeric {
        double at(long i);
    }

    private static Node forward(Case c, ParamLayout layout, INDArray theta, INDArray[] x, INDArray[] xDot) {
        Tape tape = new Tape();
        return c.layer().apply(tape, new Params(layout, theta), inputs(tape, x, xDot));
    }

    private static Node[] inputs(Tape tape, INDArray[] x, INDArray[] xDot) {
        Node[] nodes = new Node[x.length];
        for (int k = 0; k < x.length; k++) {
            nodes[k] = tape.input(new Dual(x[k], xDot[k]));
        }
        return nodes;
    }

    /** ∂f/∂v[i] by central differences, v one of the arrays f reads (perturbed in place, then restored). */
    private static double difference(Functional f, INDArray theta, INDArray[] x, INDArray[] xDot, INDArray v, long i) {
        double original = v.getDouble(i);
        v.putScalar(i, original + STEP);
        double up = f.at(theta, x, xDot);
        v.putScalar(i, original - STEP);
        double down = f.at(theta, x, xDot);
        v.putScalar(i, original);
        return (up - down) / (2 * STEP);
    }

    private static void compare(String what, INDArray analytic, Numeric numeric) {
        assertTrue(analytic != null, what + ": no gradient");
        INDArray flat = analytic.reshape(analytic.length());
        double worst = 0;
        double scale = 0;
        for (long i = 0; i < flat.length(); i++) {
            double n = numeric.at(i);
            worst = Math.max(worst, Math.abs(flat.getDouble(i) - n));
            scale = Math.max(scale, Math.abs(n));
        }
        assertTrue(scale > 0, what + ": every derivative is zero");
        assertTrue(worst <= TOLERANCE * Math.max(1, scale), what + ": largest difference " + worst + " against "
                + scale);
    }
}

package io.sparkgan.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import io.sparkgan.model.networks.GanNetwork;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Pass;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The training path (native kernels on our tape) against SameDiff's automatic differentiation of
 * each network's graphs, the networks checkpoints export: the same generated
 * images, losses, scores and gradients, in float32 (where convolutions and batch norm run on
 * oneDNN) at real sizes, for DCGAN and the residual networks. {@link GradientCheckTest} checks the same path against finite
 * differences in double precision.
 */
class NetworkPassesTest {
    private static final double TOLERANCE = 2e-4;

    @ParameterizedTest(name = "{8} {0}×{0}×{1}, width {2}, G {3}, D {4}, {5}, real target {6}, classes {7}")
    @CsvSource({
            "28, 1, 32, BATCH, BATCH, NON_SATURATING, 1.0, 0, DCGAN",
            "28, 1, 16, NONE, NONE, NON_SATURATING, 0.9, 0, DCGAN",
            "32, 3, 16, BATCH, BATCH, WGAN, 1.0, 0, DCGAN",
            "28, 1, 16, BATCH, LAYER, WGAN_GP, 1.0, 0, DCGAN",
            "28, 1, 16, BATCH, NONE, NON_SATURATING, 1.0, 10, DCGAN",
            "64, 3, 8, BATCH, BATCH, NON_SATURATING, 0.9, 0, DCGAN",
            "32, 3, 8, BATCH, NONE, HINGE, 1.0, 0, RESNET",
            "16, 1, 8, BATCH, NONE, HINGE, 1.0, 4, RESNET",
            "28, 1, 4, BATCH, NONE, NON_SATURATING, 1.0, 10, RESNET",
            "32, 1, 4, NONE, NONE, NON_SATURATING, 1.0, 0, STYLEGAN2",
            "16, 3, 4, NONE, NONE, NON_SATURATING, 1.0, 10, STYLEGAN2"})
    void roundsMatchSameDiffAutodiff(int size, int channels, int width, Normalisation gNorm, Normalisation dNorm,
                                     GanLoss loss, double realTarget, int classes, GanArchitecture.Family family) {
        GanArchitecture a = new GanArchitecture(size, channels, 20, width, width, gNorm, dNorm, classes, family);
        GanReplica replica = new GanReplica(a, loss, realTarget, DataType.FLOAT);
        INDArray g = Nd4j.createFromArray(replica.generatorLayout().initialise(1));
        INDArray d = jittered(replica.discriminatorLayout(), 2); // nonzero biases: no unit sits on a kink
        replica.setGenerator(g);
        replica.setDiscriminator(d);
        Nd4j.getRandom().setSeed(3);
        INDArray z = Nd4j.randn(DataType.FLOAT, 16, a.latentDim());
        INDArray real = Nd4j.rand(DataType.FLOAT, 16, channels, size, size).muli(2).subi(1);

        int[] realClasses = classes(16, classes, 1);
        int[] fakeClasses = classes(16, classes, 3);

        SameDiff generator = GraphExport.generator(replica, g);
        INDArray fake = generator.output(inputs("z", z, "labels", fakeClasses), "images").get("images");
        assertClose("G(z)", fake, replica.generate(z, fakeClasses));

        GanReplica.RoundOutput dRound = replica.discriminatorRound(new GanReplica.DiscriminatorBatch(real, realClasses,
                fake, fakeClasses, List.of(), null, null, null));
        Reference dReference = discriminatorReference(replica, d, real, realClasses, fake, fakeClasses, loss,
                realTarget);
        assertEquals(dReference.loss, dRound.lossSum(), TOLERANCE * Math.abs(dReference.loss) + 1e-4, "D loss");
        assertEquals(dReference.realScore, dRound.realScoreSum(), 1e-3, "D(x)");
        assertEquals(dReference.fakeScore, dRound.fakeScoreSum(), 1e-3, "D(G(z))");
        assertClose("D gradient", dReference.gradient, dRound.gradient());

        GanReplica.RoundOutput gRound = replica.generatorRound(z, fakeClasses, null);
        Reference gReference = generatorReference(replica, g, d, z, fakeClasses, loss);
        assertEquals(gReference.loss, gRound.lossSum(), TOLERANCE * Math.abs(gReference.loss) + 1e-4, "G loss");
        assertEquals(gReference.fakeScore, gRound.fakeScoreSum(), 1e-3, "G's D(G(z))");
        INDArray gGradient = gRound.gradient().dup();
        for (ParamLayout.Param p : replica.generatorLayout().buffers()) { // w̄'s slot holds Σw, not a gradient
            gGradient.get(NDArrayIndex.interval(p.offset(), p.offset() + p.length())).assign(0);
        }
        assertClose("G gradient", gReference.gradient, gGradient);
    }

    /**
     * D's input gradient without its parameter gradients (G's round, a penalty's ∇ₓD) is the full
     * backward pass's, bit for bit: each convolution's is then a transposed convolution instead of the
     * backward kernel, and on CPU both run oneDNN's backward-data convolution (a GPU's cuDNN is not
     * checked here). Bit equality means the shortcut
     * left every run's bits as they were; the float tolerance of the test above would not show that.
     * That holds for DCGAN's 4×4 stride-2 windows. The residual networks' 3×3 and 1×1 stride-1 windows
     * take another oneDNN path for each, and the two agree to float rounding only: there the test
     * holds them to the tolerance of the test above (the residual networks never had other bits).
     */
    @ParameterizedTest(name = "{4} {0}×{0}×{1}, D {2}, classes {3}")
    @CsvSource({"64, 3, BATCH, 0, DCGAN", "28, 1, LAYER, 0, DCGAN", "28, 1, NONE, 10, DCGAN", "32, 3, BATCH, 0, DCGAN",
            "32, 3, NONE, 0, RESNET", "28, 1, NONE, 10, RESNET"})
    void inputGradientAloneIsTheFullBackwardsBitForBit(int size, int channels, Normalisation dNorm, int classes,
                                                       GanArchitecture.Family family) {
        GanArchitecture a = new GanArchitecture(size, channels, 20, 8, 16, Normalisation.BATCH, dNorm, classes,
                family);
        GanNetwork network = GanNetwork.of(a);
        ParamLayout layout = network.discriminatorLayout();
        Params d = new Params(layout, jittered(layout, 4));
        Nd4j.getRandom().setSeed(5);
        INDArray x = Nd4j.rand(DataType.FLOAT, 16, channels, size, size).muli(2).subi(1);
        int[] labels = classes(16, classes, 1);
        INDArray oneHot = labels == null ? null : Nd4j.zeros(DataType.FLOAT, 16, classes);
        for (int i = 0; labels != null && i < labels.length; i++) {
            oneHot.putScalar(i, labels[i], 1);
        }
        Pass pass = network.discriminator(d, Dual.of(x), oneHot);
        INDArray gradOut = Nd4j.randn(DataType.FLOAT, 16, 1);
        INDArray full = pass.backward(gradOut, Nd4j.zeros(DataType.FLOAT, layout.size()));
        INDArray alone = pass.inputGradient(gradOut);
        assertTrue(full.amaxNumber().doubleValue() > 0, "the input gradient is all zeros");
        if (family == GanArchitecture.Family.RESNET) {
            assertClose("input gradient alone", full, alone);
            return;
        }
        // exactly (INDArray.equals allows a difference of 1e-5)
        assertArrayEquals(full.ravel().toFloatVector(), alone.ravel().toFloatVector(),
                "input gradient without the parameters' differs from the full backward pass's");
    }

    private record Reference(INDArray gradient, double loss, double realScore, double fakeScore) {}

    /** Classes (i·step) mod k for n images, or null for an unconditional GAN (k = 0). */
    private static int[] classes(int n, int k, int step) {
        if (k == 0) {
            return null;
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i * step % k;
        }
        return labels;
    }

    /** Placeholder values: images or z, and the classes when there are any. */
    private static Map<String, INDArray> inputs(String name, INDArray value, String labelsName, int[] labels) {
        return labels == null ? Map.of(name, value)
                : Map.of(name, value, labelsName, Nd4j.createFromArray(labels));
    }

    /** The classes' placeholder as a one-hot, or null for an unconditional GAN. */
    private static SDVariable labels(SameDiff sd, String name, int[] labels, GanArchitecture a) {
        return labels == null ? null
                : sd.oneHot(sd.placeHolder(name, DataType.INT32, -1), a.classes()).castTo(DataType.FLOAT);
    }

    private static Reference discriminatorReference(GanReplica replica, INDArray d, INDArray real, int[] realClasses,
                                                    INDArray fake, int[] fakeClasses, GanLoss loss,
                                                    double realTarget) {
        GanArchitecture a = replica.architecture();
        SameDiff sd = SameDiff.create();
        GanNetwork network = GanNetwork.of(a);
        GraphExport.declare(sd, replica.discriminatorLayout(), DataType.FLOAT);
        assign(sd, replica.discriminatorLayout(), d);
        long[] shape = {-1, a.channels(), a.imageSize(), a.imageSize()};
        SDVariable realLogits = network.discriminatorGraph(sd, sd.placeHolder("real", DataType.FLOAT, shape),
                labels(sd, "real_labels", realClasses, a));
        SDVariable fakeLogits = network.discriminatorGraph(sd, sd.placeHolder("fake", DataType.FLOAT, shape),
                labels(sd, "fake_labels", fakeClasses, a));
        SDVariable lossVar = critic(loss)
                ? fakeLogits.sum().sub(realLogits.sum())
                : loss == GanLoss.HINGE
                ? sd.nn().relu(realLogits.rsub(1), 0).sum().add(sd.nn().relu(fakeLogits.add(1), 0).sum())
                : crossEntropy(sd, realLogits, realTarget).add(crossEntropy(sd, fakeLogits, 0));
        lossVar.rename("loss");
        score(sd, realLogits, loss).rename("real_score");
        score(sd, fakeLogits, loss).rename("fake_score");
        sd.setLossVariables("loss");
        List<String> names = names(replica.discriminatorLayout());
        Map<String, INDArray> placeholders = new java.util.HashMap<>(Map.of("real", real, "fake", fake));
        if (realClasses != null) {
            placeholders.put("real_labels", Nd4j.createFromArray(realClasses));
            placeholders.put("fake_labels", Nd4j.createFromArray(fakeClasses));
        }
        OutAndGrad result = sd.calculateGradientsAndOutputs(placeholders, List.of("loss", "real_score", "fake_score"),
                names);
        return new Reference(flatten(result.getGradients(), names), result.getOutputs().get("loss").getDouble(0),
                result.getOutputs().get("real_score").getDouble(0), result.getOutputs().get("fake_score").getDouble(0));
    }

    private static Reference generatorReference(GanReplica replica, INDArray g, INDArray d, INDArray z, int[] classes,
                                                GanLoss loss) {
        GanArchitecture a = replica.architecture();
        SameDiff sd = SameDiff.create();
        GanNetwork network = GanNetwork.of(a);
        GraphExport.declare(sd, replica.generatorLayout(), DataType.FLOAT);
        GraphExport.declare(sd, replica.discriminatorLayout(), DataType.FLOAT);
        assign(sd, replica.generatorLayout(), g);
        assign(sd, replica.discriminatorLayout(), d);
        SDVariable labels = labels(sd, "labels", classes, a);
        SDVariable images = network.generatorGraph(sd, sd.placeHolder("z", DataType.FLOAT, -1, a.latentDim()), labels);
        SDVariable logits = network.discriminatorGraph(sd, images, labels);
        SDVariable lossVar = critic(loss) ? logits.sum().neg() : critic2(sd, logits, loss);
        lossVar.rename("loss");
        score(sd, logits, loss).rename("fake_score");
        sd.setLossVariables("loss");
        // G's buffers (StyleGAN2's w̄ and constant noise) are not trained: no gradient, zeros in the flat vector
        List<String> names = replica.generatorLayout().params().stream().filter(ParamLayout.Param::trained)
                .map(ParamLayout.Param::name).toList();
        OutAndGrad result = sd.calculateGradientsAndOutputs(inputs("z", z, "labels", classes),
                List.of("loss", "fake_score"), names);
        Map<String, INDArray> gradients = new java.util.HashMap<>(result.getGradients());
        replica.generatorLayout().buffers().forEach(p -> gradients.put(p.name(), Nd4j.zeros(DataType.FLOAT, p.shape())));
        return new Reference(flatten(gradients, names(replica.generatorLayout())),
                result.getOutputs().get("loss").getDouble(0),
                Double.NaN, result.getOutputs().get("fake_score").getDouble(0));
    }

    /** G's loss for the non-critic losses: hinge's −ΣD(G(z)), else the non-saturating cross-entropy. */
    private static SDVariable critic2(SameDiff sd, SDVariable logits, GanLoss loss) {
        return loss == GanLoss.HINGE ? logits.sum().neg() : crossEntropy(sd, logits, 1);
    }

    /** Σ −[y log σ(l) + (1−y) log(1−σ(l))], written out independently of {@link GanLoss}. */
    private static SDVariable crossEntropy(SameDiff sd, SDVariable logits, double target) {
        SDVariable p = sd.nn().sigmoid(logits);
        return sd.math().log(p).mul(target).add(sd.math().log(p.rsub(1)).mul(1 - target)).sum().neg();
    }

    private static SDVariable score(SameDiff sd, SDVariable logits, GanLoss loss) {
        return (rawScore(loss) ? logits : sd.nn().sigmoid(logits)).sum();
    }

    /** Whether D is a Wasserstein critic: its loss is linear in the logits and its score the logit. */
    private static boolean critic(GanLoss loss) {
        return loss == GanLoss.WGAN || loss == GanLoss.WGAN_GP;
    }

    /** Whether D's score is its logit (critics and hinge) rather than σ(logit). */
    private static boolean rawScore(GanLoss loss) {
        return critic(loss) || loss == GanLoss.HINGE;
    }

    private static INDArray jittered(ParamLayout layout, long seed) {
        INDArray initial = Nd4j.createFromArray(layout.initialise(seed));
        Nd4j.getRandom().setSeed(seed);
        return initial.addi(Nd4j.randn(DataType.FLOAT, layout.size()).muli(0.02));
    }

    private static void assign(SameDiff sd, ParamLayout layout, INDArray flat) {
        for (ParamLayout.Param p : layout.params()) {
            sd.getVariable(p.name()).getArr().assign(
                    flat.get(NDArrayIndex.interval(p.offset(), p.offset() + p.length())).reshape('c', p.shape()));
        }
    }

    private static List<String> names(ParamLayout layout) {
        List<String> names = new ArrayList<>();
        layout.params().forEach(p -> names.add(p.name()));
        return names;
    }

    private static INDArray flatten(Map<String, INDArray> gradients, List<String> order) {
        List<INDArray> parts = new ArrayList<>();
        order.forEach(name -> parts.add(gradients.get(name)));
        return Nd4j.toFlattened('c', parts);
    }

    /** Elementwise agreement relative to the largest magnitude in the reference. */
    private static void assertClose(String what, INDArray expected, INDArray actual) {
        assertEquals(expected.length(), actual.length(), what + " length");
        double scale = expected.castTo(DataType.DOUBLE).amaxNumber().doubleValue();
        assertTrue(scale > 0, what + " is all zeros");
        double worst = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE).reshape(expected.shape()))
                .amaxNumber().doubleValue();
        assertTrue(worst <= TOLERANCE * scale, what + ": largest difference " + worst + " against largest value "
                + scale);
    }
}

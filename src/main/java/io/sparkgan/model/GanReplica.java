package io.sparkgan.model;

import io.sparkgan.model.networks.GanNetwork;
import io.sparkgan.model.networks.Styling;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Pass;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.MirroringPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * One replica of the GAN: what an executor needs for one training step. It holds no training
 * state; the driver sets the parameters before every round, so a retried task computes exactly what
 * the first attempt did.
 *
 * <p>Training runs the networks ({@link GanNetwork}) as native kernels on our own tape
 * ({@code model.tape}): SameDiff's interpreter cost ~50 ms per step on top of the kernels, and M2.1's
 * SameDiff cannot differentiate its fused batch norm. The networks' SameDiff graphs are what
 * checkpoints export ({@link GraphExport}); {@code NetworkPassesTest} holds both to the same outputs and
 * gradients.
 */
public final class GanReplica {
    private static final WorkspaceConfiguration ROUND_WORKSPACE = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyLearning(LearningPolicy.FIRST_LOOP) // sized by the first round, then reused
            .policyAllocation(AllocationPolicy.OVERALLOCATE).overallocationLimit(0.2)
            .policySpill(SpillPolicy.REALLOCATE) // a larger batch later grows it instead of failing
            .policyMirroring(MirroringPolicy.FULL)
            .build();
    private final GanArchitecture architecture;
    private final GanLoss loss;
    private final double realTarget;
    private final ParamLayout generatorLayout;
    private final ParamLayout discriminatorLayout;
    private final DataType dtype;
    private final GanNetwork network;
    private Params generatorParams;
    private Params discriminatorParams;
    private INDArray generatorCopy; // what setGenerator(float[]) copies into, reused
    private INDArray discriminatorCopy;

    /**
     * What one round on one minibatch produced: the summed gradient and summed statistics.
     *
     * @param penaltySum the gradient penalties' sum over the images (not part of {@code lossSum})
     */
    public record RoundOutput(INDArray gradient, double lossSum, double realScoreSum, double fakeScoreSum,
                              double penaltySum) {}

    public GanReplica(GanArchitecture architecture, GanLoss loss, double realTarget, DataType dtype) {
        this.architecture = architecture;
        this.loss = loss;
        this.realTarget = realTarget;
        this.dtype = dtype;
        this.network = GanNetwork.of(architecture);
        this.generatorLayout = network.generatorLayout();
        this.discriminatorLayout = network.discriminatorLayout();
    }

    public GanArchitecture architecture() {
        return architecture;
    }

    public ParamLayout generatorLayout() {
        return generatorLayout;
    }

    public ParamLayout discriminatorLayout() {
        return discriminatorLayout;
    }

    public DataType dtype() {
        return dtype;
    }

    /**
     * Sets G's parameters from a flat vector: copied into an array this replica keeps and reuses
     * ({@link HostCopies}), since a replica lives for many rounds and the copy is part of each.
     */
    public void setGenerator(float[] params) {
        generatorCopy = HostCopies.floatVector(params, generatorCopy);
        setGenerator(generatorCopy);
    }

    /** Sets D's parameters from a flat vector, copied as G's are. */
    public void setDiscriminator(float[] params) {
        discriminatorCopy = HostCopies.floatVector(params, discriminatorCopy);
        setDiscriminator(discriminatorCopy);
    }

    /**
     * Sets G's parameters from a flat vector in {@link #generatorLayout()} order. The replica reads
     * them through views of {@code flat} (no copy per round), so the caller must not modify it
     * while the replica uses it.
     */
    public void setGenerator(INDArray flat) {
        checkLength(generatorLayout, flat);
        generatorParams = new Params(generatorLayout, typed(flat));
    }

    /** Sets D's parameters from a flat vector in {@link #discriminatorLayout()} order; views, as for G. */
    public void setDiscriminator(INDArray flat) {
        checkLength(discriminatorLayout, flat);
        discriminatorParams = new Params(discriminatorLayout, typed(flat));
    }

    private INDArray typed(INDArray flat) {
        return flat.dataType() == dtype ? flat : flat.castTo(dtype);
    }

    private static Params require(Params params, String network) {
        if (params == null) {
            throw new IllegalStateException("the " + network + "'s parameters were never set");
        }
        return params;
    }

    private static void checkLength(ParamLayout layout, INDArray flat) {
        if (flat.length() != layout.size()) {
            throw new IllegalArgumentException("parameter vector has " + flat.length()
                    + " values, the network needs " + layout.size());
        }
    }

    /** G(z) for z of shape [n, latentDim]; images NCHW in [-1, 1]. */
    public INDArray generate(INDArray z) {
        return generate(z, null);
    }

    /** G(z, y): images of the classes {@code labels} (one per row of z; null for an unconditional G). */
    public INDArray generate(INDArray z, int[] labels) {
        return generate(z, labels, Styling.PLAIN);
    }

    /** G(z, y) run as {@code styling} says (a style-based G's noise, mixing and truncation). */
    public INDArray generate(INDArray z, int[] labels, Styling styling) {
        Params g = require(generatorParams, "generator");
        try (MemoryWorkspace ignored = roundWorkspace()) {
            return network.generator(g, z.castTo(dtype), oneHot(labels, (int) z.size(0)), typed(styling)).output()
                    .detach();
        }
    }

    /** {@code styling} with its second latents in this replica's type. */
    private Styling typed(Styling styling) {
        INDArray mix = styling.mixLatents();
        return mix == null || mix.dataType() == dtype ? styling : new Styling(styling.noise(), styling.draws(),
                styling.mixingProbability(), mix.castTo(dtype), styling.crossover(), styling.truncation());
    }

    /** [n, classes] with a 1 at each image's class; null for an unconditional GAN. */
    private INDArray oneHot(int[] labels, int n) {
        if (!architecture.conditional()) {
            return null;
        }
        if (labels == null || labels.length != n) {
            throw new IllegalArgumentException("a conditional GAN needs one class per image: " + n + " images, "
                    + (labels == null ? "no" : String.valueOf(labels.length)) + " classes");
        }
        INDArray oneHot = Nd4j.zeros(dtype, n, architecture.classes());
        for (int i = 0; i < n; i++) {
            if (labels[i] < 0 || labels[i] >= architecture.classes()) {
                throw new IllegalArgumentException("class " + labels[i] + " of image " + i + " is not one of the "
                        + architecture.classes() + " classes");
            }
            oneHot.putScalar(i, labels[i], 1.0);
        }
        return oneHot;
    }

    /**
     * The workspace every round's arrays live in. A round allocates ~50 arrays of up to a few MB;
     * ND4J's ordinary allocation (off-heap, tracked for the garbage collector) took 1.3 ms for one
     * 1.6 MB array here, a quarter of a batch-64 step in all. In a workspace they come from one block
     * that is sized on the first round and reused (per thread, so concurrent tasks do not share it).
     * Anything returned is detached (copied out) first.
     */
    private static MemoryWorkspace roundWorkspace() {
        return Nd4j.getWorkspaceManager().getAndActivateWorkspace(ROUND_WORKSPACE, "sparkgan-round");
    }

    /**
     * What one D round judges: real and generated images with their classes (null for an unconditional
     * GAN), the gradient penalties it computes, WGAN-GP's mixing weight ε per image (null without it),
     * and the augmentation each batch is seen through (null for none).
     */
    public record DiscriminatorBatch(INDArray real, int[] realLabels, INDArray fake, int[] fakeLabels,
                                     List<GradientPenalty> penalties, float[] mixing, Augmentation realAugmentation,
                                     Augmentation fakeAugmentation) {
        /** Real and generated images of an unconditional GAN, nothing else. */
        public static DiscriminatorBatch of(INDArray real, INDArray fake) {
            return new DiscriminatorBatch(real, null, fake, null, List.of(), null, null, null);
        }
    }

    /**
     * D's loss and its gradient with respect to D's parameters, summed over both image batches. Real
     * and generated images go through D separately, so each batch is normalised with its own
     * statistics (as in DCGAN's reference training loop).
     */
    public RoundOutput discriminatorRound(INDArray real, INDArray fake) {
        return discriminatorRound(DiscriminatorBatch.of(real, fake));
    }

    /**
     * D's round: the loss's gradient, then each penalty's, summed into one vector. The penalties are
     * taken at the images D sees (augmented, when augmented), with the real images' classes (also at
     * WGAN-GP's interpolates).
     */
    public RoundOutput discriminatorRound(DiscriminatorBatch batch) {
        Params d = require(discriminatorParams, "discriminator");
        try (MemoryWorkspace ignored = roundWorkspace()) {
            INDArray gradient = Nd4j.zeros(dtype, discriminatorLayout.size());
            INDArray realImages = augmented(batch.real().castTo(dtype), batch.realAugmentation());
            INDArray fakeImages = augmented(batch.fake().castTo(dtype), batch.fakeAugmentation());
            INDArray realClasses = oneHot(batch.realLabels(), (int) realImages.size(0));
            Pass onReal = network.discriminator(d, Dual.of(realImages), realClasses);
            GanLoss.Term realTerm = loss.discriminatorOnReal(onReal.output(), realTarget).perImage();
            onReal.backward(realTerm.gradLogits(), gradient);
            Pass onFake = network.discriminator(d, Dual.of(fakeImages),
                    oneHot(batch.fakeLabels(), (int) fakeImages.size(0)));
            GanLoss.Term fakeTerm = loss.discriminatorOnFake(onFake.output()).perImage();
            onFake.backward(fakeTerm.gradLogits(), gradient);
            double penaltySum = 0;
            for (GradientPenalty penalty : batch.penalties()) {
                INDArray at = penalty.where() == GradientPenalty.Where.REAL ? realImages
                        : interpolates(realImages, fakeImages, batch.mixing());
                penaltySum += penalise(d, at, realClasses, penalty, gradient);
            }
            return new RoundOutput(gradient.detach(), realTerm.lossSum() + fakeTerm.lossSum(), realTerm.scoreSum(),
                    fakeTerm.scoreSum(), penaltySum);
        }
    }

    private static INDArray augmented(INDArray images, Augmentation augmentation) {
        return augmentation == null ? images : augmentation.apply(images);
    }

    /** εᵢ·realᵢ + (1 − εᵢ)·fakeᵢ per image: WGAN-GP's points between the two distributions. */
    private INDArray interpolates(INDArray real, INDArray fake, float[] mixing) {
        if (mixing == null || mixing.length != real.size(0)) {
            throw new IllegalArgumentException("interpolates need one mixing weight per image");
        }
        INDArray epsilon = Nd4j.createFromArray(mixing).castTo(dtype).reshape(real.size(0), 1, 1, 1);
        return fake.add(real.sub(fake).mul(epsilon));
    }

    /**
     * Adds into {@code gradient} the exact gradient of Σᵢ φ(‖∇ₓD(xᵢ)‖) with respect to D's parameters and
     * returns the sum. First ∇ₓD(xᵢ) for every image at once: the gradient of ΣD, which is each image's own
     * where D judges images alone, and StyleGAN2's R1 where minibatch standard deviation joins them; then a
     * pass along uᵢ = φ'(rᵢ)/rᵢ·∇ₓD(xᵢ), whose output tangent uᵢ·∇ₓD(xᵢ) has,
     * with u held fixed, exactly the penalty's parameter gradient.
     */
    private double penalise(Params d, INDArray x, INDArray classes, GradientPenalty penalty,
                            INDArray gradient) {
        Pass pass = network.discriminator(d, Dual.of(x), classes);
        INDArray ones = Nd4j.ones(dtype, pass.output().shape());
        INDArray inputGradient = pass.inputGradient(ones);
        long n = x.size(0);
        INDArray perImage = inputGradient.reshape('c', n, inputGradient.length() / n);
        double[] squares = perImage.mul(perImage).sum(1).toDoubleVector();
        double[] coefficients = new double[(int) n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double norm = Math.sqrt(squares[i]);
            sum += penalty.value(norm);
            coefficients[i] = penalty.slopeOverNorm(norm);
        }
        INDArray direction = perImage.mulColumnVector(Nd4j.createFromArray(coefficients).castTo(dtype)
                .reshape(n, 1)).reshape('c', x.shape());
        Pass along = network.discriminator(d, new Dual(x, direction), classes);
        along.backwardTangent(Nd4j.ones(dtype, along.outputTangent().shape()), gradient);
        return sum;
    }

    /** G's loss through D and its gradient with respect to G's parameters only (D is held fixed). */
    public RoundOutput generatorRound(INDArray z) {
        return generatorRound(z, null, null, Styling.PLAIN);
    }

    /** G's round with a plain G (no noise draws, no mixing): for the networks that have neither. */
    public RoundOutput generatorRound(INDArray z, int[] labels, Augmentation augmentation) {
        return generatorRound(z, labels, augmentation, Styling.PLAIN);
    }

    /**
     * G's round for images of the classes {@code labels} (null for an unconditional GAN), with D judging
     * them through {@code augmentation} (null for none), whose backward pass carries the gradient from
     * D's input back to G's output, and G run as {@code styling} says. The slots of G's tracked buffers
     * (w̄) get the sums of what they track, from which the step updates them.
     */
    public RoundOutput generatorRound(INDArray z, int[] labels, Augmentation augmentation, Styling styling) {
        Params g = require(generatorParams, "generator");
        Params d = require(discriminatorParams, "discriminator");
        try (MemoryWorkspace ignored = roundWorkspace()) {
            INDArray classes = oneHot(labels, (int) z.size(0));
            INDArray latents = z.castTo(dtype);
            Pass generated = network.generator(g, latents, classes, typed(styling));
            Pass judged = network.discriminator(d, Dual.of(augmented(generated.output(), augmentation)), classes);
            GanLoss.Term term = loss.generator(judged.output());
            // only dL/dimages continues into G: D's parameter gradients are not computed
            INDArray gradImages = judged.inputGradient(term.gradLogits());
            if (augmentation != null) {
                gradImages = augmentation.backward(gradImages);
            }
            INDArray gradient = Nd4j.zeros(dtype, generatorLayout.size());
            generated.backward(gradImages, gradient);
            network.addTrackedSums(g, latents, classes, gradient);
            return new RoundOutput(gradient.detach(), term.lossSum(), Double.NaN, term.scoreSum(), 0);
        }
    }

    /**
     * G's round of a translation GAN (pix2pix; Isola et al. 2017, eq. 4): G maps {@code inputs} to outputs,
     * D judges each (input, output) pair, and G's loss is D's term, each image's mean over its patches,
     * plus λ·‖target − output‖₁ over the image's pixels (their mean, as the paper's L1 is). The round's
     * {@code penaltySum} is the L1 term's sum over the images, before λ.
     */
    public RoundOutput translationRound(INDArray inputs, INDArray targets, Styling styling, double l1Weight) {
        Params g = require(generatorParams, "generator");
        Params d = require(discriminatorParams, "discriminator");
        try (MemoryWorkspace ignored = roundWorkspace()) {
            INDArray x = inputs.castTo(dtype);
            Pass generated = network.generator(g, x, null, typed(styling));
            INDArray outputs = generated.output();
            Pass judged = network.discriminator(d, Dual.of(Nd4j.concat(1, x, outputs)), null);
            GanLoss.Term term = loss.generator(judged.output()).perImage();
            long c = x.size(1);
            INDArray gradOutputs = judged.inputGradient(term.gradLogits())
                    .get(NDArrayIndex.all(), NDArrayIndex.interval(c, 2 * c), NDArrayIndex.all(), NDArrayIndex.all())
                    .dup('c');
            INDArray difference = outputs.sub(targets.castTo(dtype));
            double pixels = (double) outputs.length() / outputs.size(0);
            double l1 = difference.norm1Number().doubleValue() / pixels;
            gradOutputs.addi(Transforms.sign(difference, false).muli(l1Weight / pixels));
            INDArray gradient = Nd4j.zeros(dtype, generatorLayout.size());
            generated.backward(gradOutputs, gradient);
            return new RoundOutput(gradient.detach(), term.lossSum() + l1Weight * l1, Double.NaN, term.scoreSum(), l1);
        }
    }
}

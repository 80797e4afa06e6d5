package io.sparkgan.model;

import java.util.function.DoubleUnaryOperator;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The adversarial objectives, as functions of D's logits. Every loss is a <em>sum</em> over the
 * batch, so that partial sums from the executors add up to the loss of the whole global batch; the
 * driver divides by the image count. A batch has 64–128 logits, so the losses and their derivatives
 * are computed here in double precision rather than as native kernels.
 */
public enum GanLoss {
    /**
     * Goodfellow et al., "Generative Adversarial Nets" (2014), with the generator's non-saturating
     * objective −log D(G(z)) from section 3 of that paper. D's real targets may be smoothed one-sided
     * (Salimans et al., "Improved Techniques for Training GANs", 2016).
     */
    NON_SATURATING,
    /**
     * Arjovsky, Chintala and Bottou, "Wasserstein GAN" (2017): the critic maximises
     * E[D(x)] − E[D(G(z))], the generator maximises E[D(G(z))]; weight clipping keeps D Lipschitz.
     */
    WGAN,
    /**
     * Gulrajani et al., "Improved Training of Wasserstein GANs" (2017): WGAN's critic and generator
     * losses, with a penalty on the critic's input gradient ({@link GradientPenalty#wganGp}) instead of
     * weight clipping.
     */
    WGAN_GP,
    /**
     * The hinge loss of Lim and Ye, "Geometric GAN" (2017), as Miyato et al. use it with spectral
     * normalisation ("Spectral Normalization for Generative Adversarial Networks", 2018): D minimises
     * E[max(0, 1 − D(x))] + E[max(0, 1 + D(G(z)))], G minimises −E[D(G(z))].
     */
    HINGE,
    /**
     * Mao et al., "Least Squares Generative Adversarial Networks" (2017), with the 0-1 coding of
     * their section 3.2 (a = 0, b = c = 1): D minimises ½E[(D(x) − 1)²] + ½E[D(G(z))²], G minimises
     * ½E[(D(G(z)) − 1)²].
     */
    LEAST_SQUARES;

    /**
     * One batch's share of a loss: its sum over the batch, the summed score logged as D(x) or
     * D(G(z)), and dLoss/dlogits (shape and type of the logits).
     */
    public record Term(double lossSum, double scoreSum, INDArray gradLogits) {
        /**
         * The term with each image's loss and score the mean over its logits: itself for a D with one
         * logit an image, the mean over the patches for a PatchGAN (Isola et al. 2017).
         */
        public Term perImage() {
            long perImage = gradLogits.length() / gradLogits.size(0);
            return perImage == 1 ? this
                    : new Term(lossSum / perImage, scoreSum / perImage, gradLogits.div((double) perImage));
        }
    }

    /**
     * D's loss on real images, whose target is {@code realTarget} (1, or less with label smoothing,
     * which only the non-saturating loss takes).
     */
    public Term discriminatorOnReal(INDArray logits, double realTarget) {
        return switch (this) {
            case NON_SATURATING -> crossEntropy(logits, realTarget);
            case WGAN, WGAN_GP -> linear(logits, -1);
            case HINGE -> hinge(logits, -1);
            case LEAST_SQUARES -> squares(logits, 1);
        };
    }

    /** D's loss on generated images. */
    public Term discriminatorOnFake(INDArray logits) {
        return switch (this) {
            case NON_SATURATING -> crossEntropy(logits, 0);
            case WGAN, WGAN_GP -> linear(logits, +1);
            case HINGE -> hinge(logits, +1);
            case LEAST_SQUARES -> squares(logits, 0);
        };
    }

    /** G's loss through D: −log D(G(z)), −D(G(z)) for WGAN(-GP) and hinge, ½(D(G(z)) − 1)² for least squares. */
    public Term generator(INDArray logits) {
        return switch (this) {
            case NON_SATURATING -> crossEntropy(logits, 1);
            case WGAN, WGAN_GP, HINGE -> linear(logits, -1);
            case LEAST_SQUARES -> squares(logits, 1);
        };
    }

    /** Whether D's loss is bounded below by 0, so that a D-skip threshold (train.d-skip-below) means something. */
    public boolean hasFloor() {
        return this != WGAN && this != WGAN_GP;
    }

    /**
     * Σ −[y log σ(l) + (1−y) log(1−σ(l))], written as max(l,0) − l·y + log(1 + e^−|l|) so that it is
     * finite for any l; its derivative is σ(l) − y. The score is σ(l), D's probability.
     */
    private static Term crossEntropy(INDArray logits, double target) {
        return sum(logits, l -> Math.max(l, 0) - l * target + Math.log1p(Math.exp(-Math.abs(l))),
                l -> sigmoid(l) - target, GanLoss::sigmoid);
    }

    /** Σ sign·l, the critic's loss terms; the score is the critic value itself. */
    private static Term linear(INDArray logits, double sign) {
        return sum(logits, l -> sign * l, l -> sign, l -> l);
    }

    /**
     * Σ max(0, 1 + sign·l): the hinge on real (sign −1) or generated (sign +1) logits; its derivative
     * is sign where the hinge is active and 0 where it is not (0 at the kink). The score is l.
     */
    private static Term hinge(INDArray logits, double sign) {
        return sum(logits, l -> Math.max(0, 1 + sign * l), l -> 1 + sign * l > 0 ? sign : 0, l -> l);
    }

    /** Σ ½(l − target)², derivative l − target; the score is l. */
    private static Term squares(INDArray logits, double target) {
        return sum(logits, l -> 0.5 * (l - target) * (l - target), l -> l - target, l -> l);
    }

    /** A loss that is the sum over the batch of one function of each logit, with its derivative and score. */
    private static Term sum(INDArray logits, DoubleUnaryOperator loss, DoubleUnaryOperator derivative,
                            DoubleUnaryOperator score) {
        double[] l = Nd4j.toFlattened('c', logits).toDoubleVector(); // a logit per image, or a patch map
        double[] grad = new double[l.length];
        double lossSum = 0;
        double scoreSum = 0;
        for (int i = 0; i < l.length; i++) {
            lossSum += loss.applyAsDouble(l[i]);
            grad[i] = derivative.applyAsDouble(l[i]);
            scoreSum += score.applyAsDouble(l[i]);
        }
        return new Term(lossSum, scoreSum, like(logits, grad));
    }

    /** 1/(1+e^−l), computed from e^−|l| so that neither branch overflows. */
    static double sigmoid(double l) {
        double e = Math.exp(-Math.abs(l));
        return l >= 0 ? 1 / (1 + e) : e / (1 + e);
    }

    private static INDArray like(INDArray logits, double[] values) {
        return Nd4j.createFromArray(values).castTo(logits.dataType()).reshape(logits.shape());
    }
}

package io.sparkgan.model;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * The adversarial objectives. Every loss is a <em>sum</em> over the batch, so that partial sums from
 * the executors add up to the loss of the whole global batch; the driver divides by the image count.
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
    WGAN;

    public SDVariable discriminatorLoss(SameDiff sd, SDVariable realLogits, SDVariable fakeLogits,
                                        double realTarget) {
        return switch (this) {
            case NON_SATURATING -> binaryCrossEntropy(sd, realLogits, realTarget).sum()
                    .add(binaryCrossEntropy(sd, fakeLogits, 0.0).sum());
            case WGAN -> fakeLogits.sum().sub(realLogits.sum());
        };
    }

    public SDVariable generatorLoss(SameDiff sd, SDVariable fakeLogits) {
        return switch (this) {
            case NON_SATURATING -> binaryCrossEntropy(sd, fakeLogits, 1.0).sum();
            case WGAN -> fakeLogits.sum().neg();
        };
    }

    /** The score logged as D(x) and D(G(z)): a probability for the classic GAN, the critic value for WGAN. */
    public SDVariable score(SameDiff sd, SDVariable logits) {
        return switch (this) {
            case NON_SATURATING -> sd.nn().sigmoid(logits);
            case WGAN -> logits;
        };
    }

    /** −[y log σ(l) + (1−y) log(1−σ(l))] written as max(l,0) − l·y + log(1 + e^−|l|), finite for any l. */
    private static SDVariable binaryCrossEntropy(SameDiff sd, SDVariable logits, double target) {
        SDVariable softplusOfMinusAbs = sd.math().log1p(sd.math().exp(sd.math().abs(logits).neg()));
        return sd.nn().relu(logits, 0.0).sub(logits.mul(target)).add(softplusOfMinusAbs);
    }
}

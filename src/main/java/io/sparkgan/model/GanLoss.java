package io.sparkgan.model;

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
    WGAN;

    /**
     * One batch's share of a loss: its sum over the batch, the summed score logged as D(x) or
     * D(G(z)), and dLoss/dlogits (shape and type of the logits).
     */
    public record Term(double lossSum, double scoreSum, INDArray gradLogits) {}

    /** D's loss on real images, whose target is {@code realTarget} (1, or less with label smoothing). */
    public Term discriminatorOnReal(INDArray logits, double realTarget) {
        return this == NON_SATURATING ? crossEntropy(logits, realTarget) : linear(logits, -1);
    }

    /** D's loss on generated images (target 0). */
    public Term discriminatorOnFake(INDArray logits) {
        return this == NON_SATURATING ? crossEntropy(logits, 0) : linear(logits, +1);
    }

    /** G's loss through D: non-saturating −log D(G(z)), or −D(G(z)) for WGAN. */
    public Term generator(INDArray logits) {
        return this == NON_SATURATING ? crossEntropy(logits, 1) : linear(logits, -1);
    }

    /**
     * Σ −[y log σ(l) + (1−y) log(1−σ(l))], written as max(l,0) − l·y + log(1 + e^−|l|) so that it is
     * finite for any l; its derivative is σ(l) − y. The score is σ(l), D's probability.
     */
    private static Term crossEntropy(INDArray logits, double target) {
        double[] l = logits.toDoubleVector();
        double[] grad = new double[l.length];
        double loss = 0;
        double score = 0;
        for (int i = 0; i < l.length; i++) {
            loss += Math.max(l[i], 0) - l[i] * target + Math.log1p(Math.exp(-Math.abs(l[i])));
            double sigmoid = sigmoid(l[i]);
            score += sigmoid;
            grad[i] = sigmoid - target;
        }
        return new Term(loss, score, like(logits, grad));
    }

    /** Σ sign·l, the critic's loss terms; the score is the critic value itself. */
    private static Term linear(INDArray logits, double sign) {
        double[] l = logits.toDoubleVector();
        double[] grad = new double[l.length];
        double sum = 0;
        for (int i = 0; i < l.length; i++) {
            sum += l[i];
            grad[i] = sign;
        }
        return new Term(sign * sum, sum, like(logits, grad));
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

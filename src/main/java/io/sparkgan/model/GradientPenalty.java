package io.sparkgan.model;

import java.io.Serializable;

/**
 * A penalty on the norm of D's gradient with respect to its input, one term per image, added to D's
 * loss in D's rounds. For an image whose input gradient has norm r the term is φ(r):
 * <ul>
 *   <li>{@link Where#INTERPOLATES}: WGAN-GP (Gulrajani et al., "Improved Training of Wasserstein GANs",
 *       2017, Algorithm 1): φ(r) = λ(r − 1)² at x̂ = εx + (1 − ε)G(z), ε uniform in [0, 1] per image, a
 *       soft constraint that keeps the critic 1-Lipschitz where it matters.</li>
 *   <li>{@link Where#REAL}: R1 (Mescheder, Geiger and Nowozin, "Which Training Methods for GANs do
 *       actually Converge?", 2018, eq. 9): φ(r) = γ/2·r² on real images. Lazy (Karras et al.,
 *       "Analyzing and Improving the Image Quality of StyleGAN", 2020, section 3.1): computed in every
 *       N-th D round only, with φ multiplied by N.</li>
 * </ul>
 * The exact gradient of Σφ with respect to D's parameters is a second derivative of D; {@link GanReplica}
 * gets it from a pass that carries a tangent ({@code DcganPasses}), using
 * ∂φ(‖g‖)/∂θ = φ'(r)/r · gᵀ∂g/∂θ.
 *
 * @param weight λ or γ
 * @param every the lazy interval in D rounds (1: every round)
 */
public record GradientPenalty(Where where, double weight, int every) implements Serializable {

    /** The images the gradient is taken at. */
    public enum Where { INTERPOLATES, REAL }

    public GradientPenalty {
        if (every < 1 || weight < 0) {
            throw new IllegalArgumentException("a penalty needs weight >= 0 and every >= 1: " + weight + ", " + every);
        }
    }

    /** WGAN-GP's penalty with weight λ. */
    public static GradientPenalty wganGp(double lambda) {
        return new GradientPenalty(Where.INTERPOLATES, lambda, 1);
    }

    /** R1 with weight γ, computed in every {@code every}-th D round. */
    public static GradientPenalty r1(double gamma, int every) {
        return new GradientPenalty(Where.REAL, gamma, every);
    }

    /** Whether the run's {@code discriminatorRound}-th D round (0-based, counted over the run) computes it. */
    public boolean appliesTo(long discriminatorRound) {
        return discriminatorRound % every == 0;
    }

    /** φ(r) for one image whose input gradient has norm r, with the lazy factor. */
    public double value(double norm) {
        return switch (where) {
            case INTERPOLATES -> weight * (norm - 1) * (norm - 1);
            case REAL -> every * weight / 2 * norm * norm;
        };
    }

    /**
     * φ'(r)/r: what the image's input gradient is multiplied by to give the direction whose tangent's
     * parameter gradient is φ's. At r = 0 WGAN-GP's φ'(r)/r has no limit; its product with the zero
     * gradient is taken as 0 there.
     */
    public double slopeOverNorm(double norm) {
        return switch (where) {
            case INTERPOLATES -> norm == 0 ? 0 : 2 * weight * (norm - 1) / norm;
            case REAL -> every * weight;
        };
    }
}

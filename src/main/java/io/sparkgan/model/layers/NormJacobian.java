package io.sparkgan.model.layers;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The maths of {@link PerImageNorm}'s layer and instance norms, which differ only in the axes they normalise
 * over: x̂ = (x − μ)/s with s = √(σ² + ε) over an image's channels and positions together (layer norm,
 * Ba, Kiros and Hinton 2016, as Gulrajani et al.'s WGAN-GP critic uses it) or over each channel's
 * positions (instance norm), then y = γ·x̂ + β with γ and β per channel.
 *
 * <p>Besides its value and backward pass it carries a tangent (forward mode) and the backward pass of
 * that tangent, which a gradient penalty differentiates ({@link io.sparkgan.model.tape.Tape}). With
 * J = ∂x̂/∂x = (I − 11ᵀ/N − x̂x̂ᵀ/N)/s per group of N values normalised together, the tangent of x̂
 * along ẋ is Jẋ; J is symmetric, so the tangent's adjoint reaches ẋ as J·(γ·ẏ̄); and since J depends on
 * x, the tangent's adjoint also reaches x (the second-order term in {@link #backward}). Built from
 * ND4J's elementwise and reduction ops: libnd4j's layer_norm kernel has no tangent.
 */
final class NormJacobian {
    /** Layer norm's axes: each image's channels and positions together. */
    static final int[] IMAGE = {1, 2, 3};
    /** Instance norm's axes (Ulyanov et al. 2016): each image's channels apart. */
    static final int[] PLANE = {2, 3};
    private static final int[] CHANNEL = {0, 2, 3};

    private final INDArray normalised; // x̂
    private final INDArray scale; // s, [n, 1, 1, 1] (layer) or [n, c, 1, 1] (instance)
    private final INDArray gamma; // [1, c, 1, 1]
    private final long count; // N, values normalised together
    private final int[] over;

    /** Normalises {@code x} [n, c, h, w] over the axes {@code over}; {@link #output} applies γ and β. */
    NormJacobian(INDArray x, INDArray gamma, double epsilon, int[] over) {
        this.over = over;
        INDArray centred = x.sub(x.mean(true, over));
        INDArray variance = centred.mul(centred).mean(true, over);
        this.scale = org.nd4j.linalg.ops.transforms.Transforms.sqrt(variance.add(epsilon), false);
        this.normalised = centred.div(scale);
        this.gamma = gamma.reshape(1, gamma.length(), 1, 1);
        long values = 1;
        for (int axis : over) {
            values *= x.size(axis);
        }
        this.count = values;
    }

    INDArray output(INDArray beta) {
        return normalised.mul(gamma).add(beta.reshape(1, beta.length(), 1, 1));
    }

    /** x̂'s tangent along ẋ: Jẋ = (ẋ − mean ẋ − x̂·mean(x̂ẋ))/s. */
    private INDArray normalisedTangent(INDArray xDot) {
        return project(xDot);
    }

    /** γ·Jẋ: the output's tangent. */
    INDArray tangent(INDArray xDot) {
        return normalisedTangent(xDot).mul(gamma);
    }

    /** J·v for the symmetric Jacobian J of x̂ with respect to x. */
    private INDArray project(INDArray v) {
        INDArray alongNormalised = normalised.mul(v).mean(true, over);
        return v.sub(v.mean(true, over)).sub(normalised.mul(alongNormalised)).div(scale);
    }

    /**
     * Adjoints of the input and its tangent from those of the output ({@code gradOut}, may be null for
     * zero) and of the output's tangent ({@code gradTangentOut}, null when none was carried);
     * {@code xDot} is the input's tangent. Adds γ's and β's gradients into {@code gradGamma} and
     * {@code gradBeta} (both null: not wanted). Returns {dL/dx, dL/dẋ}, either null when zero.
     */
    INDArray[] backward(INDArray gradOut, INDArray gradTangentOut, INDArray xDot, INDArray gradGamma,
                        INDArray gradBeta) {
        INDArray gradNormalised = null; // dL/dx̂, s held fixed
        INDArray gradScale = null; // dL/ds, x̂ held fixed, [n, 1, 1, 1]
        INDArray gradXDot = null;
        boolean wanted = gradGamma != null;
        if (wanted != (gradBeta != null)) {
            throw new IllegalArgumentException("γ's and β's gradients are wanted together or not at all");
        }
        if (gradOut != null) {
            if (wanted) {
                gradGamma.addi(gradOut.mul(normalised).sum(CHANNEL));
                gradBeta.addi(gradOut.sum(CHANNEL));
            }
            gradNormalised = gradOut.mul(gamma);
        }
        if (gradTangentOut != null) {
            INDArray normalisedDot = normalisedTangent(xDot);
            if (wanted) {
                gradGamma.addi(gradTangentOut.mul(normalisedDot).sum(CHANNEL));
            }
            INDArray a = gradTangentOut.mul(gamma); // dL/d(x̂'s tangent)
            gradXDot = project(a);
            // x̂'s tangent is (ẋ − mean ẋ − x̂·B)/s with B = mean(x̂ẋ): through x̂ (in x̂·B and in B) and s
            INDArray b = normalised.mul(xDot).mean(true, over);
            INDArray alongA = a.mul(normalised).sum(true, over);
            INDArray second = a.mul(b).add(xDot.mul(alongA).div(count)).div(scale).neg();
            gradNormalised = gradNormalised == null ? second : gradNormalised.add(second);
            gradScale = a.mul(normalisedDot).sum(true, over).div(scale).neg();
        }
        if (gradNormalised == null) {
            return new INDArray[] {null, gradXDot};
        }
        // x̂ = (x − μ)/s, s = √(mean((x − μ)²) + ε): the usual normalisation backward, with s's extra adjoint
        INDArray totalScale = gradNormalised.mul(normalised).sum(true, over).div(scale).neg();
        if (gradScale != null) {
            totalScale.addi(gradScale);
        }
        // ds/dx_i = x̂_i/N (the mean's part cancels since Σx̂ = 0)
        INDArray gradCentred = gradNormalised.div(scale).add(normalised.mul(totalScale).div(count));
        INDArray gradX = gradCentred.sub(gradCentred.mean(true, over));
        return new INDArray[] {gradX, gradXDot};
    }
}

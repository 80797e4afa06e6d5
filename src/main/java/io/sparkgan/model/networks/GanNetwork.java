package io.sparkgan.model.networks;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Pass;
import io.sparkgan.model.tape.Params;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A generator and discriminator pair, composed of {@code model.layers}: their parameter layouts, their
 * passes on the tape (training), and their SameDiff graphs (export). Tests hold the passes and the
 * graphs to the same outputs and gradients.
 */
public interface GanNetwork {
    /** Layer names every network uses (a parameter is {@code <layer>/<W|b|gamma|beta>}, layers.Names). */
    String G_PROJECT = "g/project";
    String D_LOGIT = "d/logit";
    /** A conditional D's class embedding, [classes, features] (its "/W" gets spectral norm). */
    String D_EMBED = "d/embed";

    /** The pair {@code a} describes. */
    static GanNetwork of(GanArchitecture a) {
        return switch (a.family()) {
            case DCGAN -> new Dcgan(a);
            case RESNET -> new Resnet(a);
            case STYLEGAN2 -> new StyleGan2(a);
            case PIX2PIX -> new Pix2pix(a);
        };
    }

    ParamLayout generatorLayout();

    ParamLayout discriminatorLayout();

    /** G(z, y): [n, latentDim] → images [n, channels, size, size] in [-1, 1]; {@code oneHot} [n, classes] or null. */
    Pass generator(Params g, INDArray z, INDArray oneHot);

    /**
     * G run as {@code styling} says: a style-based G's noise, style mixing and truncation. Networks
     * without a mapping network have none of these and run as {@link #generator(Params, INDArray, INDArray)}.
     */
    default Pass generator(Params g, INDArray z, INDArray oneHot, Styling styling) {
        return generator(g, z, oneHot);
    }

    /**
     * Adds, into the slots of G's tracked buffers ({@code ParamLayout.Init.TRACKED}) in the flat
     * {@code gradient}, the sums over the batch of what they track (StyleGAN2's w̄: the mapping network's
     * outputs). Nothing for networks without one.
     */
    default void addTrackedSums(Params g, INDArray z, INDArray oneHot, INDArray gradient) {
    }

    /**
     * D(x, y) before the sigmoid: [n, 1]. {@code x} may carry a tangent (a direction of the same shape):
     * the output's tangent is then directionᵢ · ∇ₓD(xᵢ) per image, which needs a D that judges each
     * image on its own.
     */
    Pass discriminator(Params d, Dual x, INDArray oneHot);

    /** G as a graph; {@code oneHot} a [n, classes] variable of a conditional G, else null. */
    SDVariable generatorGraph(SameDiff sd, SDVariable z, SDVariable oneHot);

    /** D's logits as a graph; {@code oneHot} as for G. */
    SDVariable discriminatorGraph(SameDiff sd, SDVariable x, SDVariable oneHot);
}

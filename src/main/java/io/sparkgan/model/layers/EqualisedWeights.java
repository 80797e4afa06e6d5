package io.sparkgan.model.layers;

import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The equalised learning rate (Karras et al., "Progressive Growing of GANs", 2018, section 4.1): a
 * layer's weights are stored N(0, 1/multiplier²) and multiplied by c = multiplier/√fan-in as the layer
 * runs, so that Adam's per-parameter step moves every layer's output alike; the multiplier slows a
 * layer down (StyleGAN's mapping network: 0.01). The stored weights' gradient is c times the used ones'.
 *
 * @param fanIn the inputs each output sums over
 * @param multiplier the learning-rate multiplier (1 for none)
 */
record EqualisedWeights(long fanIn, double multiplier) {

    double scale() {
        return multiplier / Math.sqrt(fanIn);
    }

    /** The deviation the stored weights start with. */
    double spread() {
        return 1 / multiplier;
    }

    /** The weights a layer uses: {@code stored} itself for a layer without (null), else c·stored. */
    static INDArray scaled(EqualisedWeights e, INDArray stored) {
        return e == null ? stored : stored.mul(e.scale());
    }

    static SDVariable scaled(EqualisedWeights e, SDVariable stored) {
        return e == null ? stored : stored.mul(e.scale());
    }

    /** The stored weights' gradient from the used weights' ({@code grad}, scaled in place). */
    static INDArray chained(EqualisedWeights e, INDArray grad) {
        return e == null ? grad : grad.muli(e.scale());
    }
}

package io.sparkgan.model;

import static io.sparkgan.model.Dcgan.D_LOGIT;
import static io.sparkgan.model.Dcgan.G_PROJECT;
import static io.sparkgan.model.Dcgan.LEAKY_SLOPE;
import static io.sparkgan.model.Dcgan.bias;
import static io.sparkgan.model.Dcgan.discriminatorStage;
import static io.sparkgan.model.Dcgan.discriminatorStageNorm;
import static io.sparkgan.model.Dcgan.generatorStage;
import static io.sparkgan.model.Dcgan.weights;
import static io.sparkgan.model.DcganLayers.activation;
import static io.sparkgan.model.DcganLayers.addBias;
import static io.sparkgan.model.DcganLayers.batchNorm;
import static io.sparkgan.model.DcganLayers.convolution;
import static io.sparkgan.model.DcganLayers.dense;
import static io.sparkgan.model.DcganLayers.layerNorm;
import static io.sparkgan.model.DcganLayers.projectedDense;
import static io.sparkgan.model.DcganLayers.reshape;
import static io.sparkgan.model.DcganLayers.tanh;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The DCGAN of {@link Dcgan}, run as a sequence of native kernels ({@link Kernels}) with a
 * hand-written backward pass: the training path. {@link Dcgan}'s SameDiff graphs describe the same
 * networks for export, and tests hold the two to the same outputs and gradients.
 *
 * <p>A forward pass returns a {@link Pass} that remembers what its backward pass needs (inputs of
 * every kernel, batch statistics); {@link Pass#backward} walks those steps in reverse and adds each
 * parameter's gradient into a flat vector in {@link ParamLayout} order, the form the driver sums.
 *
 * <p>D's pass can also carry a <em>tangent</em>: the derivative of every value along a direction u of
 * the input (forward mode), so that its output's tangent is uᵀ∇ₓD(x) per image. Differentiating that
 * tangent with respect to D's parameters ({@link Pass#backwardTangent}) is how a gradient penalty
 * gets its exact parameter gradient: for a penalty Σᵢ φ(‖∇ₓD(xᵢ)‖), take uᵢ = φ'(rᵢ)/rᵢ·∇ₓD(xᵢ)
 * (held fixed), and ∂/∂θ Σᵢ uᵢᵀ∇ₓD(xᵢ) is the penalty's gradient. Each step's backward therefore takes
 * the adjoints of its value and of its tangent. Leaky ReLU is piecewise linear, so its tangent depends
 * on its input only through which side of 0 it is on (no second-order term); layer norm's does
 * ({@link LayerNorm}); batch norm carries no tangent (it mixes the batch, so D has no per-image
 * gradient).
 */
final class DcganPasses {
    private final GanArchitecture a;

    DcganPasses(GanArchitecture architecture) {
        this.a = architecture;
    }

    /** One parameter vector, seen as the named arrays of its layout (views, no copies). */
    static final class Params {
        private final ParamLayout layout;
        private final Map<String, INDArray> views = new HashMap<>();

        Params(ParamLayout layout, INDArray flat) {
            this.layout = layout;
            for (ParamLayout.Param p : layout.params()) {
                views.put(p.name(), flat.get(NDArrayIndex.interval(p.offset(), p.offset() + p.length()))
                        .reshape('c', p.shape()));
            }
        }

        INDArray get(String name) {
            return views.get(name);
        }

        ParamLayout layout() {
            return layout;
        }
    }

    /**
     * A value and, when the pass carries one, its tangent (null otherwise). In a backward pass the same
     * pair holds adjoints: of the value (null for zero) and of the tangent.
     */
    record Dual(INDArray value, INDArray tangent) {
        static Dual of(INDArray value) {
            return new Dual(value, null);
        }
    }

    /** A forward pass's output and the recorded steps that differentiate it. */
    static final class Pass {
        private final Dual output;
        private final Deque<BackwardStep> steps;
        private final ParamLayout layout;

        private Pass(Dual output, Deque<BackwardStep> steps, ParamLayout layout) {
            this.output = output;
            this.steps = steps;
            this.layout = layout;
        }

        INDArray output() {
            return output.value();
        }

        /** The output's tangent: per image, the input direction dotted with the output's input gradient. */
        INDArray outputTangent() {
            return output.tangent();
        }

        /**
         * Backpropagates {@code gradOutput} through the pass, adding every parameter's gradient into
         * {@code gradient} (flat, in the layout's order). Returns the gradient with respect to the
         * pass's input.
         */
        INDArray backward(INDArray gradOutput, INDArray gradient) {
            return walk(Dual.of(gradOutput), gradient).value();
        }

        /**
         * Adds into {@code gradient} the gradient, with respect to the parameters, of Σ gradTangent ⊙ the
         * output's tangent: the second-order pass of a gradient penalty.
         */
        void backwardTangent(INDArray gradTangent, INDArray gradient) {
            walk(new Dual(null, gradTangent), gradient);
        }

        /**
         * The gradient with respect to the pass's input alone, with no parameter gradients: what G's
         * round needs from D, and a penalty's ∇ₓD. A convolution's input gradient is then one transposed
         * convolution with the same weights ({@link Kernels#conv2dInputGradient}), not the backward
         * kernel that also computes the weight gradient at about the same cost again.
         */
        INDArray inputGradient(INDArray gradOutput) {
            return walk(Dual.of(gradOutput), null).value();
        }

        /** {@code gradient} null: input gradients only (every step then leaves the parameters alone). */
        private Dual walk(Dual gradOutput, INDArray gradient) {
            Params sink = gradient == null ? null : new Params(layout, gradient);
            Dual g = gradOutput;
            for (BackwardStep step : steps) { // a Deque filled with push(): last step first
                g = step.apply(g, sink);
            }
            return g;
        }
    }

    /** A recorded step of a pass's backward walk (the layers in {@link DcganLayers} record them). */
    @FunctionalInterface
    interface BackwardStep {
        /**
         * Takes the adjoints of the step's output and of its tangent, adds parameter gradients into
         * {@code sink} (null: none wanted), returns the adjoints of the step's input and of its tangent.
         */
        Dual apply(Dual gradOut, Params sink);
    }

    /** G(z): [n, latentDim] → images [n, channels, size, size] in [-1, 1]. */
    Pass generator(Params g, INDArray z) {
        Deque<BackwardStep> steps = new ArrayDeque<>();
        int base = a.baseSize();
        int c0 = a.generatorChannels(0);
        boolean batchNorm = a.generatorBatchNorm();

        Dual h = dense(Dual.of(z), g, G_PROJECT, steps);
        if (!batchNorm) {
            h = addBias(h, g, bias(G_PROJECT), steps);
        }
        long n = z.size(0);
        h = reshape(h, steps, n, c0, base, base);
        if (batchNorm) {
            h = batchNorm(h, g, G_PROJECT, steps);
        }
        h = activation(h, 0.0, steps);

        for (int s = 1; s <= a.stages(); s++) {
            String layer = generatorStage(s);
            boolean last = s == a.stages();
            boolean norm = batchNorm && !last;
            h = convolution(true, h, g.get(weights(layer)), norm ? null : g.get(bias(layer)), layer, steps);
            if (last) {
                h = tanh(h, steps);
            } else {
                if (norm) {
                    h = batchNorm(h, g, layer, steps);
                }
                h = activation(h, 0.0, steps);
            }
        }
        return new Pass(h, steps, g.layout());
    }

    /** D(x) before the sigmoid: images [n, channels, size, size] → logits [n, 1]. */
    Pass discriminator(Params d, INDArray x) {
        return discriminator(d, Dual.of(x), null);
    }

    /** D(x, y) of a conditional D, the classes as a one-hot [n, classes] (null for an unconditional D). */
    Pass discriminator(Params d, INDArray x, INDArray oneHot) {
        return discriminator(d, Dual.of(x), oneHot);
    }

    /**
     * D(x, y), carrying the tangent along {@code direction} (same shape as x): the output's tangent is
     * directionᵢ · ∇ₓD(xᵢ) per image. Needs a D without batch norm.
     */
    Pass discriminatorAlong(Params d, INDArray x, INDArray oneHot, INDArray direction) {
        return discriminator(d, new Dual(x, direction), oneHot);
    }

    private Pass discriminator(Params d, Dual x, INDArray oneHot) {
        Deque<BackwardStep> steps = new ArrayDeque<>();
        Dual h = x;
        for (int s = 0; s < a.stages(); s++) {
            String layer = discriminatorStage(s);
            Normalisation norm = discriminatorStageNorm(a, s);
            boolean scaled = norm.hasScaleAndOffset();
            h = convolution(false, h, d.get(weights(layer)), scaled ? null : d.get(bias(layer)), layer, steps);
            if (norm == Normalisation.BATCH) {
                h = batchNorm(h, d, layer, steps);
            } else if (norm == Normalisation.LAYER) {
                h = layerNorm(h, d, layer, steps);
            }
            h = activation(h, LEAKY_SLOPE, steps);
        }
        h = reshape(h, steps, h.value().size(0), a.discriminatorFeatures());
        h = a.conditional() ? projectedDense(h, d, oneHot, steps) : dense(h, d, D_LOGIT, steps);
        h = addBias(h, d, bias(D_LOGIT), steps);
        return new Pass(h, steps, d.layout());
    }
}

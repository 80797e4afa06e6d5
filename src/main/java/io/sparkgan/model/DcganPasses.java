package io.sparkgan.model;

import static io.sparkgan.model.Dcgan.BN_EPSILON;
import static io.sparkgan.model.Dcgan.D_EMBED;
import static io.sparkgan.model.Dcgan.D_LOGIT;
import static io.sparkgan.model.Dcgan.G_PROJECT;
import static io.sparkgan.model.Dcgan.LEAKY_SLOPE;
import static io.sparkgan.model.Dcgan.beta;
import static io.sparkgan.model.Dcgan.bias;
import static io.sparkgan.model.Dcgan.discriminatorStage;
import static io.sparkgan.model.Dcgan.discriminatorStageNorm;
import static io.sparkgan.model.Dcgan.gamma;
import static io.sparkgan.model.Dcgan.generatorStage;
import static io.sparkgan.model.Dcgan.weights;

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

    @FunctionalInterface
    private interface BackwardStep {
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

    /**
     * A conditional D's logit before its bias: φ·w + ⟨φ, E[y]⟩ for features φ, the logit's weights w and
     * the class embedding E (Miyato and Koyama 2018, eq. 3), one step since both terms read φ. Linear
     * in φ, so the tangent takes the same map.
     */
    private static Dual projectedDense(Dual features, Params p, INDArray oneHot, Deque<BackwardStep> steps) {
        if (oneHot == null) {
            throw new IllegalArgumentException("a conditional discriminator needs the images' classes");
        }
        INDArray w = p.get(weights(D_LOGIT));
        INDArray chosen = Kernels.matmul(oneHot, p.get(weights(D_EMBED)), false, false); // E[y], [n, features]
        INDArray y = Kernels.matmul(features.value(), w, false, false).addi(features.value().mul(chosen).sum(true, 1));
        INDArray yDot = features.tangent() == null ? null : Kernels.matmul(features.tangent(), w, false, false)
                .addi(features.tangent().mul(chosen).sum(true, 1));
        steps.push((gradOut, sink) -> new Dual(
                projectedBackward(features.value(), gradOut.value(), w, chosen, oneHot, sink),
                projectedBackward(features.tangent(), gradOut.tangent(), w, chosen, oneHot, sink)));
        return new Dual(y, yDot);
    }

    /** One stream of {@link #projectedDense}'s backward pass: adds w's and E's gradients, returns φ's. */
    private static INDArray projectedBackward(INDArray features, INDArray gradOut, INDArray w, INDArray chosen,
                                              INDArray oneHot, Params sink) {
        if (gradOut == null) {
            return null;
        }
        if (sink != null) {
            sink.get(weights(D_LOGIT)).addi(Kernels.matmul(features, gradOut, true, false));
            sink.get(weights(D_EMBED)).addi(Kernels.matmul(oneHot, features.mulColumnVector(gradOut), true, false));
        }
        return Kernels.matmul(gradOut, w, false, true).addi(chosen.mulColumnVector(gradOut));
    }

    /** x·W for a dense layer's weights W [in, out]; the tangent goes through the same linear map. */
    private static Dual dense(Dual x, Params p, String layer, Deque<BackwardStep> steps) {
        INDArray w = p.get(weights(layer));
        INDArray y = Kernels.matmul(x.value(), w, false, false);
        INDArray yDot = x.tangent() == null ? null : Kernels.matmul(x.tangent(), w, false, false);
        steps.push((gradOut, sink) -> {
            INDArray gradX = null;
            INDArray gradXDot = null;
            if (gradOut.value() != null) {
                if (sink != null) {
                    sink.get(weights(layer)).addi(Kernels.matmul(x.value(), gradOut.value(), true, false));
                }
                gradX = Kernels.matmul(gradOut.value(), w, false, true);
            }
            if (gradOut.tangent() != null) {
                if (sink != null) {
                    sink.get(weights(layer)).addi(Kernels.matmul(x.tangent(), gradOut.tangent(), true, false));
                }
                gradXDot = Kernels.matmul(gradOut.tangent(), w, false, true);
            }
            return new Dual(gradX, gradXDot);
        });
        return new Dual(y, yDot);
    }

    /** h + b with b broadcast over the batch (one value per unit of a dense layer's output); a constant for the tangent. */
    private static Dual addBias(Dual h, Params p, String name, Deque<BackwardStep> steps) {
        INDArray out = h.value().addRowVector(p.get(name));
        steps.push((gradOut, sink) -> {
            if (gradOut.value() != null && sink != null) {
                sink.get(name).addi(gradOut.value().sum(0));
            }
            return gradOut;
        });
        return new Dual(out, h.tangent());
    }

    private static Dual reshape(Dual h, Deque<BackwardStep> steps, long... shape) {
        long[] before = h.value().shape();
        steps.push((gradOut, sink) -> new Dual(reshape(gradOut.value(), before), reshape(gradOut.tangent(), before)));
        return new Dual(reshape(h.value(), shape), reshape(h.tangent(), shape));
    }

    private static INDArray reshape(INDArray x, long... shape) {
        return x == null ? null : x.reshape('c', shape);
    }

    /**
     * A stride-2 convolution (D) or transposed convolution (G); {@code b} null when a normalisation
     * follows. Linear in its input, so the tangent is the same convolution without the bias.
     */
    private static Dual convolution(boolean transposed, Dual x, INDArray w, INDArray b, String layer,
                                    Deque<BackwardStep> steps) {
        INDArray y = transposed ? Kernels.deconv2d(x.value(), w, b) : Kernels.conv2d(x.value(), w, b);
        INDArray yDot = x.tangent() == null ? null
                : transposed ? Kernels.deconv2d(x.tangent(), w, null) : Kernels.conv2d(x.tangent(), w, null);
        steps.push((gradOut, sink) -> sink == null
                ? new Dual(convolutionInputGradient(transposed, w, gradOut.value()),
                        convolutionInputGradient(transposed, w, gradOut.tangent()))
                : new Dual(convolutionBackward(transposed, x.value(), w, b, layer, gradOut.value(), sink),
                        convolutionBackward(transposed, x.tangent(), w, null, layer, gradOut.tangent(), sink)));
        return new Dual(y, yDot);
    }

    /** One stream of a convolution's backward pass: adds the weights' (and bias's) gradients, returns the input's. */
    private static INDArray convolutionBackward(boolean transposed, INDArray x, INDArray w, INDArray b, String layer,
                                                INDArray gradOut, Params sink) {
        if (gradOut == null) {
            return null;
        }
        INDArray[] grads = transposed ? Kernels.deconv2dBackward(x, w, b, gradOut)
                : Kernels.conv2dBackward(x, w, b, gradOut);
        sink.get(weights(layer)).addi(grads[1]);
        if (b != null) {
            sink.get(bias(layer)).addi(grads[2]);
        }
        return grads[0];
    }

    private static INDArray convolutionInputGradient(boolean transposed, INDArray w, INDArray gradOut) {
        if (gradOut == null) {
            return null;
        }
        return transposed ? Kernels.deconv2dInputGradient(w, gradOut) : Kernels.conv2dInputGradient(w, gradOut);
    }

    /**
     * Training-mode batch norm: normalised with the statistics of this batch (see {@link Dcgan} for
     * why sampling does the same). It carries no tangent: each output depends on the whole batch.
     */
    private static Dual batchNorm(Dual x, Params p, String layer, Deque<BackwardStep> steps) {
        if (x.tangent() != null) {
            throw new IllegalStateException(layer + ": batch norm has no per-image input gradient to differentiate");
        }
        INDArray gamma = p.get(gamma(layer));
        INDArray beta = p.get(beta(layer));
        INDArray[] moments = Kernels.channelMoments(x.value());
        INDArray mean = moments[0];
        INDArray variance = moments[1];
        INDArray y = Kernels.batchNorm(x.value(), mean, variance, gamma, beta, BN_EPSILON);
        steps.push((gradOut, sink) -> {
            if (gradOut.value() == null) {
                return gradOut;
            }
            INDArray[] grads = Kernels.batchNormBackward(x.value(), mean, variance, gamma, beta, gradOut.value(),
                    BN_EPSILON);
            if (sink != null) {
                sink.get(gamma(layer)).addi(grads[1]);
                sink.get(beta(layer)).addi(grads[2]);
            }
            return Dual.of(grads[0]);
        });
        return Dual.of(y);
    }

    /** Layer norm per image ({@link LayerNorm}), with its tangent and that tangent's backward pass. */
    private static Dual layerNorm(Dual x, Params p, String layer, Deque<BackwardStep> steps) {
        LayerNorm norm = new LayerNorm(x.value(), p.get(gamma(layer)), BN_EPSILON);
        INDArray y = norm.output(p.get(beta(layer)));
        INDArray yDot = x.tangent() == null ? null : norm.tangent(x.tangent());
        steps.push((gradOut, sink) -> {
            INDArray[] grads = norm.backward(gradOut.value(), gradOut.tangent(), x.tangent(),
                    sink == null ? null : sink.get(gamma(layer)), sink == null ? null : sink.get(beta(layer)));
            return new Dual(grads[0], grads[1]);
        });
        return new Dual(y, yDot);
    }

    /** Leaky ReLU (ReLU for slope 0). Its derivative is a constant on each side of 0: no second-order term. */
    private static Dual activation(Dual x, double slope, Deque<BackwardStep> steps) {
        steps.push((gradOut, sink) -> new Dual(slopes(x.value(), gradOut.value(), slope),
                slopes(x.value(), gradOut.tangent(), slope)));
        return new Dual(Kernels.leakyRelu(x.value(), slope), slopes(x.value(), x.tangent(), slope));
    }

    /** v scaled by leaky ReLU's derivative at x (1 or the slope): the activation's Jacobian, which is diagonal. */
    private static INDArray slopes(INDArray x, INDArray v, double slope) {
        return v == null ? null : Kernels.leakyReluBackward(x, v, slope);
    }

    /** G's output layer; G's passes carry no tangent. */
    private static Dual tanh(Dual x, Deque<BackwardStep> steps) {
        steps.push((gradOut, sink) -> Dual.of(Kernels.tanhBackward(x.value(), gradOut.value())));
        return Dual.of(Kernels.tanh(x.value()));
    }
}

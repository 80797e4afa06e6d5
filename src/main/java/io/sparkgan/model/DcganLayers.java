package io.sparkgan.model;

import static io.sparkgan.model.Dcgan.BN_EPSILON;
import static io.sparkgan.model.Dcgan.D_EMBED;
import static io.sparkgan.model.Dcgan.D_LOGIT;
import static io.sparkgan.model.Dcgan.beta;
import static io.sparkgan.model.Dcgan.bias;
import static io.sparkgan.model.Dcgan.gamma;
import static io.sparkgan.model.Dcgan.weights;

import io.sparkgan.model.DcganPasses.BackwardStep;
import io.sparkgan.model.DcganPasses.Dual;
import io.sparkgan.model.DcganPasses.Params;
import java.util.Deque;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The layers {@link DcganPasses} composes G and D from. Each computes its value (and D's tangent,
 * where one is carried) with {@link Kernels} and pushes the step that differentiates it onto the
 * pass's stack; that step takes the adjoints of its output's value and tangent, adds its parameters'
 * gradients into the sink, and returns its input's adjoints.
 */
final class DcganLayers {
    private DcganLayers() {
    }

    /**
     * A conditional D's logit before its bias: φ·w + ⟨φ, E[y]⟩ for features φ, the logit's weights w and
     * the class embedding E (Miyato and Koyama 2018, eq. 3), one step since both terms read φ. Linear
     * in φ, so the tangent takes the same map.
     */
    static Dual projectedDense(Dual features, Params p, INDArray oneHot, Deque<BackwardStep> steps) {
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
    static Dual dense(Dual x, Params p, String layer, Deque<BackwardStep> steps) {
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
    static Dual addBias(Dual h, Params p, String name, Deque<BackwardStep> steps) {
        INDArray out = h.value().addRowVector(p.get(name));
        steps.push((gradOut, sink) -> {
            if (gradOut.value() != null && sink != null) {
                sink.get(name).addi(gradOut.value().sum(0));
            }
            return gradOut;
        });
        return new Dual(out, h.tangent());
    }

    static Dual reshape(Dual h, Deque<BackwardStep> steps, long... shape) {
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
    static Dual convolution(boolean transposed, Dual x, INDArray w, INDArray b, String layer,
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
    static Dual batchNorm(Dual x, Params p, String layer, Deque<BackwardStep> steps) {
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
    static Dual layerNorm(Dual x, Params p, String layer, Deque<BackwardStep> steps) {
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
    static Dual activation(Dual x, double slope, Deque<BackwardStep> steps) {
        steps.push((gradOut, sink) -> new Dual(slopes(x.value(), gradOut.value(), slope),
                slopes(x.value(), gradOut.tangent(), slope)));
        return new Dual(Kernels.leakyRelu(x.value(), slope), slopes(x.value(), x.tangent(), slope));
    }

    /** v scaled by leaky ReLU's derivative at x (1 or the slope): the activation's Jacobian, which is diagonal. */
    private static INDArray slopes(INDArray x, INDArray v, double slope) {
        return v == null ? null : Kernels.leakyReluBackward(x, v, slope);
    }

    /** G's output layer; G's passes carry no tangent. */
    static Dual tanh(Dual x, Deque<BackwardStep> steps) {
        steps.push((gradOut, sink) -> Dual.of(Kernels.tanhBackward(x.value(), gradOut.value())));
        return Dual.of(Kernels.tanh(x.value()));
    }
}

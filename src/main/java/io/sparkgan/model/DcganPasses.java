package io.sparkgan.model;

import static io.sparkgan.model.Dcgan.BN_EPSILON;
import static io.sparkgan.model.Dcgan.D_LOGIT;
import static io.sparkgan.model.Dcgan.G_PROJECT;
import static io.sparkgan.model.Dcgan.LEAKY_SLOPE;
import static io.sparkgan.model.Dcgan.beta;
import static io.sparkgan.model.Dcgan.bias;
import static io.sparkgan.model.Dcgan.discriminatorStage;
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

    /** A forward pass's output and the recorded steps that differentiate it. */
    static final class Pass {
        private final INDArray output;
        private final Deque<BackwardStep> steps;
        private final ParamLayout layout;

        private Pass(INDArray output, Deque<BackwardStep> steps, ParamLayout layout) {
            this.output = output;
            this.steps = steps;
            this.layout = layout;
        }

        INDArray output() {
            return output;
        }

        /**
         * Backpropagates {@code gradOutput} through the pass, adding every parameter's gradient into
         * {@code gradient} (flat, in the layout's order). Returns the gradient with respect to the
         * pass's input.
         */
        INDArray backward(INDArray gradOutput, INDArray gradient) {
            Params sink = new Params(layout, gradient);
            INDArray g = gradOutput;
            for (BackwardStep step : steps) { // a Deque filled with push(): last step first
                g = step.apply(g, sink);
            }
            return g;
        }
    }

    @FunctionalInterface
    private interface BackwardStep {
        /** Takes dL/d(step output), adds parameter gradients into {@code sink}, returns dL/d(step input). */
        INDArray apply(INDArray gradOut, Params sink);
    }

    /** G(z): [n, latentDim] → images [n, channels, size, size] in [-1, 1]. */
    Pass generator(Params g, INDArray z) {
        Deque<BackwardStep> steps = new ArrayDeque<>();
        int base = a.baseSize();
        int c0 = a.generatorChannels(0);

        INDArray projectW = g.get(weights(G_PROJECT));
        INDArray h = Kernels.matmul(z, projectW, false, false);
        steps.push((gradOut, sink) -> {
            sink.get(weights(G_PROJECT)).addi(Kernels.matmul(z, gradOut, true, false));
            return Kernels.matmul(gradOut, projectW, false, true);
        });
        if (!a.batchNorm()) {
            h = addBias(h, g, bias(G_PROJECT), steps);
        }
        long n = z.size(0);
        h = reshape(h, steps, n, c0, base, base);
        if (a.batchNorm()) {
            h = batchNorm(h, g, G_PROJECT, steps);
        }
        h = activation(h, 0.0, steps);

        for (int s = 1; s <= a.stages(); s++) {
            String layer = generatorStage(s);
            boolean last = s == a.stages();
            boolean norm = a.batchNorm() && !last;
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
        Deque<BackwardStep> steps = new ArrayDeque<>();
        INDArray h = x;
        for (int s = 0; s < a.stages(); s++) {
            String layer = discriminatorStage(s);
            boolean norm = a.batchNorm() && s > 0;
            h = convolution(false, h, d.get(weights(layer)), norm ? null : d.get(bias(layer)), layer, steps);
            if (norm) {
                h = batchNorm(h, d, layer, steps);
            }
            h = activation(h, LEAKY_SLOPE, steps);
        }
        long features = (long) a.discriminatorChannels(a.stages() - 1) * a.baseSize() * a.baseSize();
        h = reshape(h, steps, h.size(0), features);
        INDArray flat = h;
        INDArray logitW = d.get(weights(D_LOGIT));
        INDArray logits = Kernels.matmul(flat, logitW, false, false);
        steps.push((gradOut, sink) -> {
            sink.get(weights(D_LOGIT)).addi(Kernels.matmul(flat, gradOut, true, false));
            return Kernels.matmul(gradOut, logitW, false, true);
        });
        logits = addBias(logits, d, bias(D_LOGIT), steps);
        return new Pass(logits, steps, d.layout());
    }

    /** h + b with b broadcast over the batch (one value per unit of a dense layer's output). */
    private static INDArray addBias(INDArray h, Params p, String name, Deque<BackwardStep> steps) {
        INDArray out = h.addRowVector(p.get(name));
        steps.push((gradOut, sink) -> {
            sink.get(name).addi(gradOut.sum(0));
            return gradOut;
        });
        return out;
    }

    private static INDArray reshape(INDArray h, Deque<BackwardStep> steps, long... shape) {
        long[] before = h.shape();
        steps.push((gradOut, sink) -> gradOut.reshape('c', before));
        return h.reshape('c', shape);
    }

    /** A stride-2 convolution (D) or transposed convolution (G); {@code b} null when batch norm follows. */
    private static INDArray convolution(boolean transposed, INDArray x, INDArray w, INDArray b, String layer,
                                        Deque<BackwardStep> steps) {
        INDArray y = transposed ? Kernels.deconv2d(x, w, b) : Kernels.conv2d(x, w, b);
        steps.push((gradOut, sink) -> {
            INDArray[] grads = transposed
                    ? Kernels.deconv2dBackward(x, w, b, gradOut)
                    : Kernels.conv2dBackward(x, w, b, gradOut);
            sink.get(weights(layer)).addi(grads[1]);
            if (b != null) {
                sink.get(bias(layer)).addi(grads[2]);
            }
            return grads[0];
        });
        return y;
    }

    /**
     * Training-mode batch norm: normalised with the statistics of this batch (see {@link Dcgan} for
     * why sampling does the same).
     */
    private static INDArray batchNorm(INDArray x, Params p, String layer, Deque<BackwardStep> steps) {
        INDArray gamma = p.get(gamma(layer));
        INDArray beta = p.get(beta(layer));
        INDArray[] moments = Kernels.channelMoments(x);
        INDArray mean = moments[0];
        INDArray variance = moments[1];
        INDArray y = Kernels.batchNorm(x, mean, variance, gamma, beta, BN_EPSILON);
        steps.push((gradOut, sink) -> {
            INDArray[] grads = Kernels.batchNormBackward(x, mean, variance, gamma, beta, gradOut, BN_EPSILON);
            sink.get(gamma(layer)).addi(grads[1]);
            sink.get(beta(layer)).addi(grads[2]);
            return grads[0];
        });
        return y;
    }

    private static INDArray activation(INDArray x, double slope, Deque<BackwardStep> steps) {
        steps.push((gradOut, sink) -> Kernels.leakyReluBackward(x, gradOut, slope));
        return Kernels.leakyRelu(x, slope);
    }

    private static INDArray tanh(INDArray x, Deque<BackwardStep> steps) {
        steps.push((gradOut, sink) -> Kernels.tanhBackward(x, gradOut));
        return Kernels.tanh(x);
    }
}

package io.sparkgan.model.networks;

import io.sparkgan.model.Kernels.Window;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.layers.Add;
import io.sparkgan.model.layers.BatchNorm;
import io.sparkgan.model.layers.ConditionalBatchNorm;
import io.sparkgan.model.layers.Convolution;
import io.sparkgan.model.layers.LeakyRelu;
import io.sparkgan.model.layers.Resample;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * SNGAN's generator block (Miyato et al. 2018, appendix B; Gulrajani et al. 2017's ResNet): BN, ReLU,
 * nearest up-sampling, 3×3 convolution, BN, ReLU, 3×3 convolution, plus a learned shortcut (up-sampling
 * then a 1×1 convolution). In a conditional G each batch norm is class-conditional.
 */
final class ResidualUp {
    private final Norm norm1;
    private final Convolution conv1;
    private final Norm norm2;
    private final Convolution conv2;
    private final Convolution shortcut;

    ResidualUp(String name, int in, int out, int classes) {
        this.norm1 = new Norm(name + "/norm1", in, classes);
        this.conv1 = Convolution.of(name + "/conv1", in, out, Window.SAME_3X3, false); // a batch norm follows
        this.norm2 = new Norm(name + "/norm2", out, classes);
        this.conv2 = Convolution.of(name + "/conv2", out, out, Window.SAME_3X3, true);
        this.shortcut = Convolution.of(name + "/shortcut", in, out, Window.POINTWISE, true);
    }

    void declare(ParamLayout.Builder layout) {
        norm1.declare(layout);
        conv1.declare(layout);
        norm2.declare(layout);
        conv2.declare(layout);
        shortcut.declare(layout);
    }

    Node apply(Tape t, Params p, Node x, INDArray oneHot) {
        Node h = LeakyRelu.RELU.apply(t, p, norm1.apply(t, p, x, oneHot));
        h = conv1.apply(t, p, Resample.NEAREST_UP.apply(t, p, h));
        h = LeakyRelu.RELU.apply(t, p, norm2.apply(t, p, h, oneHot));
        h = conv2.apply(t, p, h);
        Node skip = shortcut.apply(t, p, Resample.NEAREST_UP.apply(t, p, x));
        return Add.PLAIN.apply(t, h, skip);
    }

    SDVariable graph(SameDiff sd, SDVariable x, SDVariable oneHot) {
        SDVariable h = LeakyRelu.RELU.graph(sd, norm1.graph(sd, x, oneHot));
        h = conv1.graph(sd, Resample.NEAREST_UP.graph(sd, h));
        h = LeakyRelu.RELU.graph(sd, norm2.graph(sd, h, oneHot));
        h = conv2.graph(sd, h);
        return Add.PLAIN.graph(sd, h, shortcut.graph(sd, Resample.NEAREST_UP.graph(sd, x)));
    }

    /** Batch norm, class-conditional when the GAN is. */
    static final class Norm {
        private final BatchNorm plain;
        private final ConditionalBatchNorm conditional;

        Norm(String layer, int channels, int classes) {
            this.plain = classes > 0 ? null : new BatchNorm(layer, channels);
            this.conditional = classes > 0 ? new ConditionalBatchNorm(layer, channels, classes) : null;
        }

        void declare(ParamLayout.Builder layout) {
            if (plain != null) {
                plain.declare(layout);
            } else {
                conditional.declare(layout);
            }
        }

        Node apply(Tape t, Params p, Node x, INDArray oneHot) {
            return plain != null ? plain.apply(t, p, x) : conditional.apply(t, p, x, oneHot);
        }

        SDVariable graph(SameDiff sd, SDVariable x, SDVariable oneHot) {
            return plain != null ? plain.graph(sd, x) : conditional.graph(sd, x, oneHot);
        }
    }
}

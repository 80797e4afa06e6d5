package io.sparkgan.model.layers;

import io.sparkgan.model.Kernels;
import io.sparkgan.model.Normalisation;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Class-conditional batch norm (de Vries et al. 2017; Miyato and Koyama 2018's generator): the batch's
 * statistics as {@link BatchNorm}, then a scale and offset per class and channel, γ[y] and β[y], rows
 * of two learned [classes, channels] tables picked by each image's class.
 */
public final class ConditionalBatchNorm {
    private final String layer;
    private final int channels;
    private final int classes;

    public ConditionalBatchNorm(String layer, int channels, int classes) {
        this.layer = layer;
        this.channels = channels;
        this.classes = classes;
    }

    /** Every class's γ starts at N(1, 0.02), its β at 0, as batch norm's. */
    public void declare(ParamLayout.Builder layout) {
        BatchNorm.declareScaleAndOffset(layout, layer, classes, channels);
    }

    /** Normalises {@code x} [n, c, h, w] for images of the classes {@code oneHot} [n, classes]. */
    public Node apply(Tape tape, Params p, Node x, INDArray oneHot) {
        BatchNorm.requireNoTangent(layer, x);
        long n = x.value().size(0);
        INDArray[] moments = Kernels.channelMoments(x.value());
        INDArray ones = Nd4j.ones(x.value().dataType(), channels);
        INDArray zeros = Nd4j.zeros(x.value().dataType(), channels);
        INDArray normalised = Kernels.batchNorm(x.value(), moments[0], moments[1], ones, zeros, Normalisation.EPSILON);
        INDArray gamma = perImage(Kernels.matmul(oneHot, p.get(Names.gamma(layer)), false, false), n);
        INDArray beta = perImage(Kernels.matmul(oneHot, p.get(Names.beta(layer)), false, false), n);
        INDArray y = normalised.mul(gamma.broadcast(x.value().shape())).addi(beta.broadcast(x.value().shape()));
        return tape.record(Dual.of(y), x, (gradOut, sink) -> {
            INDArray g = gradOut.value();
            if (g == null) {
                return Dual.ZERO;
            }
            if (sink != null) {
                INDArray perChannelBeta = g.sum(2, 3); // [n, c]
                INDArray perChannelGamma = g.mul(normalised).sum(2, 3);
                sink.get(Names.gamma(layer)).addi(Kernels.matmul(oneHot, perChannelGamma, true, false));
                sink.get(Names.beta(layer)).addi(Kernels.matmul(oneHot, perChannelBeta, true, false));
            }
            INDArray gradNormalised = g.mul(gamma.broadcast(x.value().shape()));
            return Dual.of(Kernels.batchNormBackward(x.value(), moments[0], moments[1], ones, zeros, gradNormalised,
                    Normalisation.EPSILON)[0]);
        });
    }

    private static INDArray perImage(INDArray rows, long n) {
        return rows.reshape('c', n, rows.size(1), 1, 1);
    }

    public SDVariable graph(SameDiff sd, SDVariable x, SDVariable oneHot) {
        SDVariable normalised = BatchNorm.standardise(sd, x, 0, 2, 3);
        SDVariable gamma = sd.expandDims(sd.expandDims(oneHot.mmul(sd.getVariable(Names.gamma(layer))), 2), 3);
        SDVariable beta = sd.expandDims(sd.expandDims(oneHot.mmul(sd.getVariable(Names.beta(layer))), 2), 3);
        return normalised.mul(gamma).add(beta);
    }
}

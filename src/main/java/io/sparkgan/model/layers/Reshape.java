package io.sparkgan.model.layers;

import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The same values in another shape per image (C order), e.g. a dense layer's output as feature maps. */
public final class Reshape implements Layer {
    private final long[] perImage;

    /** {@code perImage}: the shape after the batch axis. */
    public Reshape(long... perImage) {
        this.perImage = perImage.clone();
    }

    @Override
    public Node apply(Tape tape, Params p, Node h) {
        long[] before = h.value().shape();
        long[] after = shape(h.value().size(0));
        return tape.record(new Dual(reshape(h.value(), after), reshape(h.tangent(), after)), h,
                (gradOut, sink) -> new Dual(reshape(gradOut.value(), before), reshape(gradOut.tangent(), before)));
    }

    private long[] shape(long batch) {
        long[] shape = new long[perImage.length + 1];
        shape[0] = batch;
        System.arraycopy(perImage, 0, shape, 1, perImage.length);
        return shape;
    }

    private static INDArray reshape(INDArray x, long... shape) {
        return x == null ? null : x.reshape('c', shape);
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable h) {
        return sd.reshape(h, shape(-1));
    }
}

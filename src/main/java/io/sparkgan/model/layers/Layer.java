package io.sparkgan.model.layers;

import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * A layer of one input: declares its parameters, runs on the tape (value, tangent, and the recorded
 * step that differentiates them), and builds its SameDiff form for export. Layers of several inputs
 * ({@link Add}, {@link Projection}, {@link ConditionalBatchNorm}) have methods of their own.
 */
public interface Layer {
    /** Adds this layer's parameters to a network's layout, in the order they sit in the flat vector. */
    default void declare(ParamLayout.Builder layout) {
    }

    Node apply(Tape tape, Params p, Node x);

    SDVariable graph(SameDiff sd, SDVariable x);
}

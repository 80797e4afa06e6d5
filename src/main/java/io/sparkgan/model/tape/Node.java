package io.sparkgan.model.tape;

import org.nd4j.linalg.api.ndarray.INDArray;

/** A value recorded on a {@link Tape}: what a layer reads and writes. */
public final class Node {
    final int id;
    private final Dual dual;

    Node(int id, Dual dual) {
        this.id = id;
        this.dual = dual;
    }

    public Dual dual() {
        return dual;
    }

    public INDArray value() {
        return dual.value();
    }

    /** The tangent along the pass's input direction, null when the pass carries none. */
    public INDArray tangent() {
        return dual.tangent();
    }
}

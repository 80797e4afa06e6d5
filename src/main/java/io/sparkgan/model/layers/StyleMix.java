package io.sparkgan.model.layers;

import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Tape;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One style input under style mixing (Karras et al. 2019, section 3.1): image n takes its row of
 * {@code first} where {@code fromFirst[n]}, else its row of {@code second}. A selection: the adjoint goes
 * back to the row it came from. Generators only: no tangent.
 */
public final class StyleMix {
    public static final StyleMix ROWS = new StyleMix();

    private StyleMix() {
    }

    public Node apply(Tape tape, Node first, Node second, boolean[] fromFirst) {
        INDArray mask = Nd4j.zeros(first.value().dataType(), fromFirst.length, 1);
        for (int n = 0; n < fromFirst.length; n++) {
            mask.putScalar(n, 0, fromFirst[n] ? 1 : 0);
        }
        INDArray rest = mask.rsub(1);
        INDArray y = first.value().mulColumnVector(mask).addi(second.value().mulColumnVector(rest));
        return tape.record(Dual.of(y), new Node[] {first, second}, (gradOut, sink) -> new Dual[] {
            Dual.of(gradOut.value().mulColumnVector(mask)), Dual.of(gradOut.value().mulColumnVector(rest))});
    }
}

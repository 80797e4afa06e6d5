package io.sparkgan.model.tape;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A value and, when the pass carries one, its tangent (null otherwise). In a backward walk the same
 * pair holds adjoints: of the value and of the tangent, either null for zero.
 */
public record Dual(INDArray value, INDArray tangent) {
    public static final Dual ZERO = new Dual(null, null);

    public static Dual of(INDArray value) {
        return new Dual(value, null);
    }

    /** Whether both parts are zero (null): nothing flows back through a step with this adjoint. */
    public boolean isZero() {
        return value == null && tangent == null;
    }

    /** The sum of two adjoints of one value (a value read by two steps), null parts counting as zero. */
    Dual plus(Dual other) {
        if (other == null || other.isZero()) {
            return this;
        }
        if (isZero()) {
            return other;
        }
        return new Dual(sum(value, other.value), sum(tangent, other.tangent));
    }

    private static INDArray sum(INDArray a, INDArray b) {
        return a == null ? b : b == null ? a : a.add(b);
    }
}

package io.sparkgan.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Parameter and gradient vectors between Java arrays and ND4J, copied in bulk. ND4J M2.1's
 * {@code createFromArray(float[])} stores value by value (10.5 ms for a million floats here) and
 * {@code toFloatVector()} reads through an indexer (4.4 ms); a round moves both networks' parameters
 * in and a gradient out, which made these copies a tenth of a 64×64×3 step. A bulk copy through the
 * buffer's memory takes about 0.5 ms. On CPU only: on a GPU the buffer's host memory is not what the
 * kernels read, so ND4J's own (synchronising) copies are kept there.
 */
public final class HostCopies {
    private HostCopies() {
    }

    /**
     * {@code values} as a float vector: written into {@code reuse} when it is a detached float vector of
     * the same length (null or anything else: a new one), which is returned.
     */
    public static INDArray floatVector(float[] values, INDArray reuse) {
        if (!Nd4j.getEnvironment().isCPU()) {
            return Nd4j.createFromArray(values);
        }
        INDArray target = reuse != null && reuse.dataType() == DataType.FLOAT && reuse.length() == values.length
                && !reuse.isAttached() && plain(reuse) ? reuse
                : Nd4j.createUninitializedDetached(DataType.FLOAT, values.length);
        target.data().asNioFloat().put(0, values);
        return target;
    }

    /** The values of a float array, in 'c' order. */
    public static float[] floats(INDArray array) {
        if (!Nd4j.getEnvironment().isCPU() || array.dataType() != DataType.FLOAT || !plain(array)) {
            return array.toFloatVector();
        }
        float[] values = new float[(int) array.length()];
        array.data().asNioFloat().get(0, values);
        return values;
    }

    /** Whether {@code a}'s values are exactly its buffer, in 'c' order, from the buffer's start. */
    static boolean plain(INDArray a) {
        return a.ordering() == 'c' && Shape.hasDefaultStridesForShape(a) && a.offset() == 0
                && a.data().length() == a.length();
    }
}

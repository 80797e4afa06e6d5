package io.sparkgan.distributed;

/**
 * bfloat16: the upper 16 bits of a float32 (8 exponent bits, 7 mantissa bits). Gradients sent in it
 * take half the bytes. Unlike IEEE half precision it has float32's range, so gradient sums neither
 * overflow nor flush to zero and need no loss scaling; the price is a relative error of at most
 * 2⁻⁸ per value (round to nearest even).
 */
final class Bfloat16 {
    private Bfloat16() {
    }

    /** The bfloat16 nearest to {@code value} (ties to even), as its 16 bits. */
    static short encode(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040); // NaN stays NaN (quiet), whatever its payload
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7fff + lsb) >>> 16);
    }

    static float decode(short half) {
        return Float.intBitsToFloat((half & 0xffff) << 16);
    }

    /** Rounds every value to the nearest bfloat16, in place; returns the array. */
    static float[] roundInPlace(float[] values) {
        for (int i = 0; i < values.length; i++) {
            values[i] = decode(encode(values[i]));
        }
        return values;
    }

    static short[] pack(float[] values) {
        if (values == null) {
            return null;
        }
        short[] packed = new short[values.length];
        for (int i = 0; i < values.length; i++) {
            packed[i] = encode(values[i]);
        }
        return packed;
    }

    static float[] unpack(short[] packed) {
        if (packed == null) {
            return null;
        }
        float[] values = new float[packed.length];
        for (int i = 0; i < packed.length; i++) {
            values[i] = decode(packed[i]);
        }
        return values;
    }
}

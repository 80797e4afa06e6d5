package io.sparkgan.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * An n-dimensional array as NumPy's {@code .npy} format holds it: element type, shape (C order) and
 * little-endian bytes. Shards, statistics and optimiser state are stored this way so that numpy and
 * pytorch-fid users can open them directly.
 */
public record NpyArray(Dtype dtype, long[] shape, byte[] data) {

    /** The element types we read and write, by their numpy descriptor. */
    public enum Dtype {
        UINT8("|u1", 1), INT32("<i4", 4), INT64("<i8", 8), FLOAT32("<f4", 4), FLOAT64("<f8", 8);

        final String descr;
        final int size;

        Dtype(String descr, int size) {
            this.descr = descr;
            this.size = size;
        }

        static Dtype fromDescr(String descr) {
            for (Dtype d : values()) {
                if (d.descr.equals(descr) || d.descr.substring(1).equals(descr.substring(1))
                        && (descr.charAt(0) == '<' || descr.charAt(0) == '|' || descr.charAt(0) == '=')) {
                    return d;
                }
            }
            throw new IllegalArgumentException("unsupported .npy element type '" + descr
                    + "' (expected one of uint8, little-endian int32, int64, float32, float64)");
        }
    }

    public NpyArray {
        long n = count(shape);
        if ((long) dtype.size * n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + dtype + " needs "
                    + dtype.size * n + " bytes, got " + data.length);
        }
    }

    public long size() {
        return count(shape);
    }

    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    private static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    public static NpyArray ofFloats(float[] values, long... shape) {
        byte[] bytes = new byte[values.length * 4];
        le(bytes).asFloatBuffer().put(values);
        return new NpyArray(Dtype.FLOAT32, shape.length == 0 ? new long[] {values.length} : shape, bytes);
    }

    public static NpyArray ofDoubles(double[] values, long... shape) {
        byte[] bytes = new byte[values.length * 8];
        le(bytes).asDoubleBuffer().put(values);
        return new NpyArray(Dtype.FLOAT64, shape.length == 0 ? new long[] {values.length} : shape, bytes);
    }

    public static NpyArray ofInts(int[] values, long... shape) {
        byte[] bytes = new byte[values.length * 4];
        le(bytes).asIntBuffer().put(values);
        return new NpyArray(Dtype.INT32, shape.length == 0 ? new long[] {values.length} : shape, bytes);
    }

    public static NpyArray ofLongs(long[] values, long... shape) {
        byte[] bytes = new byte[values.length * 8];
        le(bytes).asLongBuffer().put(values);
        return new NpyArray(Dtype.INT64, shape.length == 0 ? new long[] {values.length} : shape, bytes);
    }

    public static NpyArray ofBytes(byte[] values, long... shape) {
        return new NpyArray(Dtype.UINT8, shape.length == 0 ? new long[] {values.length} : shape, values);
    }

    public float[] asFloats() {
        float[] out = new float[Math.toIntExact(size())];
        switch (dtype) {
            case FLOAT32 -> le(data).asFloatBuffer().get(out);
            case FLOAT64 -> {
                double[] d = asDoubles();
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) d[i];
                }
            }
            default -> throw new IllegalArgumentException("expected a float array, found " + dtype);
        }
        return out;
    }

    public double[] asDoubles() {
        double[] out = new double[Math.toIntExact(size())];
        switch (dtype) {
            case FLOAT64 -> le(data).asDoubleBuffer().get(out);
            case FLOAT32 -> {
                float[] f = new float[out.length];
                le(data).asFloatBuffer().get(f);
                for (int i = 0; i < out.length; i++) {
                    out[i] = f[i];
                }
            }
            default -> throw new IllegalArgumentException("expected a float array, found " + dtype);
        }
        return out;
    }

    public int[] asInts() {
        if (dtype != Dtype.INT32) {
            throw new IllegalArgumentException("expected an int32 array, found " + dtype);
        }
        int[] out = new int[Math.toIntExact(size())];
        le(data).asIntBuffer().get(out);
        return out;
    }

    public long[] asLongs() {
        if (dtype != Dtype.INT64) {
            throw new IllegalArgumentException("expected an int64 array, found " + dtype);
        }
        long[] out = new long[Math.toIntExact(size())];
        le(data).asLongBuffer().get(out);
        return out;
    }

    public byte[] asBytes() {
        if (dtype != Dtype.UINT8) {
            throw new IllegalArgumentException("expected a uint8 array, found " + dtype);
        }
        return data;
    }
}

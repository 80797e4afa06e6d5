package io.sparkgan.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The order in which one network's parameters sit in its flat vector. Parameters travel between the
 * driver and the executors, go through the optimiser and land in checkpoints as one flat array in
 * this order, so that synchronisation is one array per network (as StyleGAN's all-reduce is).
 */
public final class ParamLayout implements Serializable {

    /** How a parameter starts: DCGAN's N(0, 0.02) weights, N(1, 0.02) batch-norm scales, zero offsets. */
    public enum Init { WEIGHT, SCALE, ZERO }

    /** One named parameter tensor and where it sits in the flat vector. */
    public record Param(String name, long[] shape, Init init, long offset, long length) implements Serializable {}

    private final List<Param> params;
    private final long size;

    private ParamLayout(List<Param> params, long size) {
        this.params = Collections.unmodifiableList(params);
        this.size = size;
    }

    public List<Param> params() {
        return params;
    }

    /** Total number of scalars. */
    public long size() {
        return size;
    }

    public Param get(String name) {
        for (Param p : params) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no parameter named " + name);
    }

    /**
     * Fresh parameters drawn from {@code seed}: the same seed gives the same vector on every JVM,
     * because the normal deviates come from our own Box–Muller over {@link SplittableRandom}.
     */
    public float[] initialise(long seed) {
        float[] values = new float[Math.toIntExact(size)];
        SplittableRandom random = new SplittableRandom(seed);
        for (Param p : params) {
            int from = (int) p.offset();
            int to = (int) (p.offset() + p.length());
            for (int i = from; i < to; i++) {
                values[i] = switch (p.init()) {
                    case WEIGHT -> (float) (0.02 * Noise.gaussian(random));
                    case SCALE -> (float) (1.0 + 0.02 * Noise.gaussian(random));
                    case ZERO -> 0f;
                };
            }
        }
        return values;
    }

    static Builder builder() {
        return new Builder();
    }

    static final class Builder {
        private final List<Param> params = new ArrayList<>();
        private long size;

        Builder add(String name, Init init, long... shape) {
            long length = 1;
            for (long d : shape) {
                length *= d;
            }
            params.add(new Param(name, shape.clone(), init, size, length));
            size += length;
            return this;
        }

        ParamLayout build() {
            return new ParamLayout(new ArrayList<>(params), size);
        }
    }
}

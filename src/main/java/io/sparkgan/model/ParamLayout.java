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

    /**
     * How a parameter starts: DCGAN's N(0, 0.02) weights and N(1, 0.02) batch-norm scales (Radford et
     * al. 2016), zero batch-norm offsets, and a layer's bias uniform in ±1/√fan-in, which is where
     * PyTorch starts it and where DCGAN's initialisation, touching weights only, leaves it. Started at 0
     * instead, the same network scored about 2 FID worse after one epoch (docs/recipes.md). EQUALISED is
     * a weight of a layer with an equalised learning rate (Karras et al. 2018, section 4.1): N(0, σ²),
     * σ its {@code spread} (1 over the layer's learning-rate multiplier), scaled by the layer as it runs.
     * ONE starts every value at 1 (StyleGAN2's style biases, so that styles start near 1).
     *
     * <p>Two kinds are buffers, not trained (their gradient slots carry something else, see
     * {@link Param#trained}): NOISE, constant N(0, 1) values drawn once (StyleGAN2's per-pixel noise of
     * "const" mode), and TRACKED, a running mean that starts at 0 (StyleGAN2's w̄).
     */
    public enum Init { WEIGHT, SCALE, ZERO, BIAS, EQUALISED, ONE, NOISE, TRACKED }

    /**
     * One named parameter tensor and where it sits in the flat vector; {@code fanIn} sets the range of
     * a {@link Init#BIAS} and {@code spread} the deviation of an {@link Init#EQUALISED} weight (0 for the
     * other kinds).
     */
    public record Param(String name, long[] shape, Init init, long fanIn, double spread, long offset, long length)
            implements Serializable {
        /**
         * Whether the optimiser moves it (a TRACKED mean's decay β is its {@code spread}). A buffer's gradient slot is 0 (NOISE) or, for TRACKED, the sum
         * over the round's images of the value it tracks, which the step turns into a running mean.
         */
        public boolean trained() {
            return init != Init.NOISE && init != Init.TRACKED;
        }
    }

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
            double bound = p.init() == Init.BIAS ? 1 / Math.sqrt(p.fanIn()) : 0;
            for (int i = from; i < to; i++) {
                values[i] = switch (p.init()) {
                    case WEIGHT -> (float) (0.02 * Noise.gaussian(random));
                    case SCALE -> (float) (1.0 + 0.02 * Noise.gaussian(random));
                    case ZERO -> 0f;
                    case BIAS -> (float) (bound * (2 * random.nextDouble() - 1));
                    case EQUALISED -> (float) (p.spread() * Noise.gaussian(random));
                    case ONE -> 1f;
                    case NOISE -> (float) Noise.gaussian(random);
                    case TRACKED -> 0f;
                };
            }
        }
        return values;
    }

    /** The parameters the optimiser does not move ({@link Param#trained}). */
    public List<Param> buffers() {
        return params.stream().filter(p -> !p.trained()).toList();
    }

    public static Builder builder() {
        return new Builder();
    }

    public static final class Builder {
        private final List<Param> params = new ArrayList<>();
        private long size;

        public Builder add(String name, Init init, long... shape) {
            if (init == Init.BIAS || init == Init.EQUALISED || init == Init.TRACKED) {
                throw new IllegalArgumentException(name + ": a bias is added with its fan-in (bias), an equalised"
                        + " weight with its spread (equalised), a tracked mean with its decay (tracked)");
            }
            return append(name, init, 0, 0, shape);
        }

        /** A layer's bias of {@code length} values, started uniform in ±1/√{@code fanIn}. */
        public Builder bias(String name, long fanIn, long length) {
            return append(name, Init.BIAS, fanIn, 0, length);
        }

        /** A weight with an equalised learning rate, started N(0, spread²). */
        public Builder equalised(String name, double spread, long... shape) {
            return append(name, Init.EQUALISED, 0, spread, shape);
        }

        /**
         * A running mean (TRACKED): after each generator update it moves to mean + β(old − mean), the mean
         * being what its gradient slot summed over the step's images. β sits in the {@code spread} field.
         */
        public Builder tracked(String name, double beta, long... shape) {
            return append(name, Init.TRACKED, 0, beta, shape);
        }

        private Builder append(String name, Init init, long fanIn, double spread, long... shape) {
            long length = 1;
            for (long d : shape) {
                length *= d;
            }
            params.add(new Param(name, shape.clone(), init, fanIn, spread, size, length));
            size += length;
            return this;
        }

        public ParamLayout build() {
            return new ParamLayout(new ArrayList<>(params), size);
        }
    }
}

package io.sparkgan.step;

import io.sparkgan.io.NpyArray;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam (Kingma and Ba, "Adam: A Method for Stochastic Optimization", 2015, Algorithm 1) on a flat
 * parameter vector, in the arrangement PyTorch uses (bias corrections folded into the step size and
 * the denominator), so that hyper-parameters carry over from the DCGAN literature unchanged.
 */
public final class Adam implements Optimiser {
    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final float[] m;
    private final float[] v;
    private long t;

    public Adam(int size, double learningRate, double beta1, double beta2, double epsilon) {
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.m = new float[size];
        this.v = new float[size];
    }

    @Override
    public Adam copy() {
        Adam copy = new Adam(m.length, learningRate, beta1, beta2, epsilon);
        copy.restore(state());
        return copy;
    }

    @Override
    public void step(float[] params, float[] gradient) {
        t++;
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        double correction1 = 1 - Math.pow(beta1, t);
        double correction2 = 1 - Math.pow(beta2, t);
        float stepSize = (float) (learningRate / correction1);
        float sqrtCorrection2 = (float) Math.sqrt(correction2);
        float eps = (float) epsilon;
        for (int i = 0; i < params.length; i++) {
            float g = gradient[i];
            m[i] = b1 * m[i] + (1 - b1) * g;
            v[i] = b2 * v[i] + (1 - b2) * g * g;
            params[i] -= stepSize * m[i] / ((float) Math.sqrt(v[i]) / sqrtCorrection2 + eps);
        }
    }

    /** {@code m} and {@code v}, the moment estimates, and {@code t}, the number of steps taken. */
    @Override
    public Map<String, NpyArray> state() {
        Map<String, NpyArray> state = new LinkedHashMap<>();
        state.put("m", NpyArray.ofFloats(m));
        state.put("v", NpyArray.ofFloats(v));
        state.put("t", NpyArray.ofLongs(new long[] {t}));
        return state;
    }

    @Override
    public void restore(Map<String, NpyArray> state) {
        copyInto(require(state, "m").asFloats(), m);
        copyInto(require(state, "v").asFloats(), v);
        t = require(state, "t").asLongs()[0];
    }

    public long steps() {
        return t;
    }

    private static NpyArray require(Map<String, NpyArray> state, String name) {
        NpyArray a = state.get(name);
        if (a == null) {
            throw new IllegalArgumentException("Adam's state lacks '" + name + "' (it has " + state.keySet() + ")");
        }
        return a;
    }

    private static void copyInto(float[] from, float[] to) {
        if (from.length != to.length) {
            throw new IllegalArgumentException("Adam's state holds " + from.length + " values, the network has "
                    + to.length);
        }
        System.arraycopy(from, 0, to, 0, to.length);
    }
}

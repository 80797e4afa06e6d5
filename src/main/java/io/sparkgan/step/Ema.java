package io.sparkgan.step;

import java.io.Serializable;

/**
 * Exponential moving average of the generator's weights, used for samples and FID (Karras et al.,
 * "Progressive Growing of GANs", 2018; Yazıcı et al., "The Unusual Effectiveness of Averaging in GAN
 * Training", 2019). The decay ramps up as min(decay, (1 + t) / (10 + t)), as TensorFlow's
 * ExponentialMovingAverage does with num_updates, so that short runs are not dominated by the
 * random initial weights.
 */
public final class Ema implements Serializable {
    private final double decay;
    private final float[] average;
    private long updates;

    public Ema(float[] initial, double decay) {
        this.decay = decay;
        this.average = initial.clone();
    }

    /** An independent copy with the same average and update count. */
    public Ema copy() {
        Ema copy = new Ema(average, decay);
        copy.updates = updates;
        return copy;
    }

    public void update(float[] params) {
        updates++;
        float d = (float) Math.min(decay, (1.0 + updates) / (10.0 + updates));
        for (int i = 0; i < average.length; i++) {
            average[i] = d * average[i] + (1 - d) * params[i];
        }
    }

    public float[] average() {
        return average;
    }

    public long updates() {
        return updates;
    }

    public void restore(float[] values, long updates) {
        System.arraycopy(values, 0, average, 0, average.length);
        this.updates = updates;
    }
}

package io.sparkgan.step;

import java.io.Serializable;

/**
 * Exponential moving average of the generator's weights, used for samples and FID (Karras et al.,
 * "Progressive Growing of GANs", 2018; Yazıcı et al., "The Unusual Effectiveness of Averaging in GAN
 * Training", 2019). Its horizon is a half-life in images seen, not a decay per step, and it ramps up
 * with training: the half-life is at most {@code rampup} × the images seen so far (Karras et al.,
 * "Training Generative Adversarial Networks with Limited Data", 2020: ema_kimg and ema_rampup). Each
 * update weighs the old average by 0.5^(images per update ÷ half-life).
 *
 * <p>Why not a fixed decay: the decay this replaced, min(0.999, (1 + t)/(10 + t)) per step, reached
 * 0.999 within a few hundred steps, a horizon of ~700 steps, so after one Fashion-MNIST epoch (937
 * steps) the average still held much of the first, poor generators, and scored a worse FID than the
 * raw generator (issue 15's measurement; docs/recipes.md has the one after this change).
 */
public final class Ema implements Serializable {
    private final double halfLifeImages;
    private final double rampup;
    private final long imagesPerUpdate;
    private final float[] average;
    private long updates;

    /**
     * @param halfLifeImages images after which an old generator's weight in the average has halved
     * @param rampup the half-life is at most this × the images seen (0: no ramp-up)
     * @param imagesPerUpdate images each generator update saw (the global batch)
     */
    public Ema(float[] initial, double halfLifeImages, double rampup, long imagesPerUpdate) {
        this.halfLifeImages = halfLifeImages;
        this.rampup = rampup;
        this.imagesPerUpdate = imagesPerUpdate;
        this.average = initial.clone();
    }

    /** An independent copy with the same average and update count. */
    public Ema copy() {
        Ema copy = new Ema(average, halfLifeImages, rampup, imagesPerUpdate);
        copy.updates = updates;
        return copy;
    }

    /** The weight update {@code update} (1, 2, …) gives the old average. */
    double decay(long update) {
        double halfLife = halfLifeImages;
        if (rampup > 0) {
            halfLife = Math.min(halfLife, rampup * update * imagesPerUpdate);
        }
        return Math.pow(0.5, imagesPerUpdate / Math.max(halfLife, 1e-8));
    }

    public void update(float[] params) {
        updates++;
        float d = (float) decay(updates);
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

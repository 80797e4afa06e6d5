package io.sparkgan.model;

/**
 * How a network's hidden stages are normalised (model.g-norm, model.d-norm).
 *
 * <ul>
 *   <li>{@link #BATCH}: Ioffe and Szegedy (2015), over the batch and the spatial positions of each channel,
 *       with the statistics of the batch being normalised (DCGAN's choice).</li>
 *   <li>{@link #LAYER}: Ba, Kiros and Hinton (2016), over each image's channels and positions together,
 *       with a scale and offset per channel, as Gulrajani et al.'s WGAN-GP critic uses it. Each image is
 *       normalised on its own, so D's output for one image does not depend on the others in its batch:
 *       what a per-image gradient penalty needs.</li>
 *   <li>{@link #INSTANCE}: Ulyanov, Vedaldi and Lempitsky (2016), over each channel's positions in each
 *       image, with a scale and offset per channel: pix2pix's networks (Isola et al. 2017), where it
 *       makes a translation of an image independent of the others in its batch.</li>
 *   <li>{@link #NONE}: a bias per channel instead.</li>
 * </ul>
 */
public enum Normalisation {
    BATCH, LAYER, INSTANCE, NONE;

    /** Added to the batch or layer variance before its square root (PyTorch's default). */
    public static final double EPSILON = 1e-5;

    /** Whether a stage with this normalisation has a scale and offset (and then no bias of its own). */
    public boolean hasScaleAndOffset() {
        return this != NONE;
    }

    /** The configuration's word for it. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}

package io.sparkgan.model;

import java.io.Serializable;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Differentiable augmentation (Zhao et al., "Differentiable Augmentation for Data-Efficient GAN
 * Training", 2020): D sees real and generated images through the same random transforms, in D's
 * rounds and in G's, and G's gradient flows back through them. With the transforms drawn per image
 * from the seed, each one is a fixed linear (affine, for brightness) map of the image, so its backward
 * pass is that map's transpose:
 * <ul>
 *   <li>colour: brightness x + b, b ∈ [−½, ½); saturation (x − m)·s + m with m the mean over channels
 *       at each pixel, s ∈ [0, 2) (nothing to do for grey images); contrast (x − m)·c + m with m the
 *       image's mean, c ∈ [½, 3/2);</li>
 *   <li>translation: a shift of up to ⅛ of the side in each direction, zeros shifted in;</li>
 *   <li>cutout: a square of half the side, at a random centre, set to 0.</li>
 * </ul>
 * in that order, with the ranges of the paper's reference code. The draws of an image depend on the
 * seed, the step, the round and the image's slot in the global batch (as its noise does), so any
 * number of workers augments the global batch alike.
 */
public final class Augmentation {
    /** Which transforms {@code train.augment} asks for. */
    public record Policy(boolean colour, boolean translation, boolean cutout) implements Serializable {
        public static final Policy NONE = new Policy(false, false, false);

        public boolean any() {
            return colour || translation || cutout;
        }
    }

    private final Policy policy;
    private final int channels;
    private final int size;
    private final double[] brightness;
    private final double[] saturation;
    private final double[] contrast;
    private final int[] shiftX;
    private final int[] shiftY;
    private final int[] cutX; // left column of the cut square
    private final int[] cutY;
    private final int cutSize;

    private Augmentation(Policy policy, int n, int channels, int size) {
        this.policy = policy;
        this.channels = channels;
        this.size = size;
        this.brightness = new double[n];
        this.saturation = new double[n];
        this.contrast = new double[n];
        this.shiftX = new int[n];
        this.shiftY = new int[n];
        this.cutX = new int[n];
        this.cutY = new int[n];
        this.cutSize = (int) (size * 0.5 + 0.5);
    }

    /**
     * The transforms of {@code n} images whose first is slot {@code firstSlot} of a global batch;
     * {@code stream} tells apart the batches of one round (real, generated, G's).
     */
    public static Augmentation draw(Policy policy, long seed, long step, int round, int stream, long firstSlot, int n,
                                    int channels, int size) {
        Augmentation a = new Augmentation(policy, n, channels, size);
        int maxShift = (int) (size * 0.125 + 0.5);
        for (int i = 0; i < n; i++) {
            SplittableRandom random = new SplittableRandom(Noise.seed(seed, Noise.AUGMENT, step, round, stream,
                    firstSlot + i));
            a.brightness[i] = random.nextDouble() - 0.5;
            a.saturation[i] = random.nextDouble() * 2;
            a.contrast[i] = random.nextDouble() + 0.5;
            a.shiftX[i] = random.nextInt(-maxShift, maxShift + 1);
            a.shiftY[i] = random.nextInt(-maxShift, maxShift + 1);
            // the reference code's centre in [0, size + 1 − size % 2), the square [centre − half, + size)
            int centreX = random.nextInt(0, size + (1 - a.cutSize % 2));
            int centreY = random.nextInt(0, size + (1 - a.cutSize % 2));
            a.cutX[i] = centreX - a.cutSize / 2;
            a.cutY[i] = centreY - a.cutSize / 2;
        }
        return a;
    }

    /** The augmented images (NCHW, the same type as {@code images}). */
    public INDArray apply(INDArray images) {
        int n = (int) images.size(0);
        double[] x = images.dup('c').data().asDouble();
        int perImage = channels * size * size;
        double[] out = new double[x.length];
        for (int i = 0; i < n; i++) {
            double[] image = new double[perImage];
            System.arraycopy(x, i * perImage, image, 0, perImage);
            if (policy.colour()) {
                image = colour(image, i);
            }
            if (policy.translation()) {
                image = translate(image, shiftX[i], shiftY[i]);
            }
            if (policy.cutout()) {
                cut(image, i);
            }
            System.arraycopy(image, 0, out, i * perImage, perImage);
        }
        return like(images, out);
    }

    /** dL/d(images) from dL/d(augmented images): the transposes of the linear maps, last one first. */
    public INDArray backward(INDArray gradOut) {
        int n = (int) gradOut.size(0);
        double[] g = gradOut.dup('c').data().asDouble();
        int perImage = channels * size * size;
        double[] out = new double[g.length];
        for (int i = 0; i < n; i++) {
            double[] grad = new double[perImage];
            System.arraycopy(g, i * perImage, grad, 0, perImage);
            if (policy.cutout()) {
                cut(grad, i); // a mask is its own transpose
            }
            if (policy.translation()) {
                grad = translate(grad, -shiftX[i], -shiftY[i]); // a shift's transpose is the opposite shift
            }
            if (policy.colour()) {
                grad = colourBackward(grad, i);
            }
            System.arraycopy(grad, 0, out, i * perImage, perImage);
        }
        return like(gradOut, out);
    }

    private double[] colour(double[] image, int i) {
        int pixels = size * size;
        double[] y = image.clone();
        for (int k = 0; k < y.length; k++) {
            y[k] += brightness[i];
        }
        if (channels > 1) {
            for (int p = 0; p < pixels; p++) {
                double mean = 0;
                for (int c = 0; c < channels; c++) {
                    mean += y[c * pixels + p];
                }
                mean /= channels;
                for (int c = 0; c < channels; c++) {
                    y[c * pixels + p] = (y[c * pixels + p] - mean) * saturation[i] + mean;
                }
            }
        }
        double mean = 0;
        for (double v : y) {
            mean += v;
        }
        mean /= y.length;
        for (int k = 0; k < y.length; k++) {
            y[k] = (y[k] - mean) * contrast[i] + mean;
        }
        return y;
    }

    /**
     * Transpose of {@link #colour}'s linear part (brightness adds a constant: its gradient passes).
     * (x − m)s + m = s·x + (1 − s)·m is symmetric in the pixels it averages: the gradient is
     * s·g + (1 − s)·mean(g) over the same pixels.
     */
    private double[] colourBackward(double[] grad, int i) {
        int pixels = size * size;
        double[] g = grad.clone();
        double mean = 0;
        for (double v : g) {
            mean += v;
        }
        mean /= g.length;
        for (int k = 0; k < g.length; k++) {
            g[k] = g[k] * contrast[i] + (1 - contrast[i]) * mean;
        }
        if (channels > 1) {
            for (int p = 0; p < pixels; p++) {
                double channelMean = 0;
                for (int c = 0; c < channels; c++) {
                    channelMean += g[c * pixels + p];
                }
                channelMean /= channels;
                for (int c = 0; c < channels; c++) {
                    g[c * pixels + p] = g[c * pixels + p] * saturation[i] + (1 - saturation[i]) * channelMean;
                }
            }
        }
        return g;
    }

    /** out[c, y, x] = in[c, y − dy, x − dx], 0 where that falls outside the image. */
    private double[] translate(double[] image, int dx, int dy) {
        double[] out = new double[image.length];
        int pixels = size * size;
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < size; y++) {
                int from = y - dy;
                if (from < 0 || from >= size) {
                    continue;
                }
                for (int x = 0; x < size; x++) {
                    int fromX = x - dx;
                    if (fromX >= 0 && fromX < size) {
                        out[c * pixels + y * size + x] = image[c * pixels + from * size + fromX];
                    }
                }
            }
        }
        return out;
    }

    /** Zeroes the cut square (clipped to the image) in place. */
    private void cut(double[] image, int i) {
        int pixels = size * size;
        for (int c = 0; c < channels; c++) {
            for (int y = Math.max(0, cutY[i]); y < Math.min(size, cutY[i] + cutSize); y++) {
                for (int x = Math.max(0, cutX[i]); x < Math.min(size, cutX[i] + cutSize); x++) {
                    image[c * pixels + y * size + x] = 0;
                }
            }
        }
    }

    private static INDArray like(INDArray template, double[] values) {
        return Nd4j.createFromArray(values).castTo(template.dataType()).reshape('c', template.shape());
    }
}

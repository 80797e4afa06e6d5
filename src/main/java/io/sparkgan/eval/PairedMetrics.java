package io.sparkgan.eval;

import io.sparkgan.io.Png;

/**
 * How close a translation's output is to its ground truth, per image, on 8-bit images (CHW, as the
 * output is written to PNG and the target was prepared): the mean absolute difference on [0, 1], PSNR
 * over the whole image on 0–255, and SSIM (Wang, Bovik, Sheikh and Simoncelli, "Image Quality
 * Assessment: From Error Visibility to Structural Similarity", 2004) with an 11×11 Gaussian window of
 * σ = 1.5, C₁ = (0.01·255)², C₂ = (0.03·255)², population (co)variances, averaged over the positions
 * where the window fits and then over the channels: scikit-image's {@code structural_similarity} with
 * {@code gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255}.
 */
public final class PairedMetrics {
    /** The Gaussian window's radius: scikit-image's int(3.5 σ + 0.5) at σ = 1.5. */
    static final int RADIUS = 5;
    static final double SIGMA = 1.5;
    /** PSNR of two identical images, which is infinite: reported as this many dB. */
    public static final double PSNR_IDENTICAL = 100;
    private static final double C1 = Math.pow(0.01 * 255, 2);
    private static final double C2 = Math.pow(0.03 * 255, 2);
    private static final double[] WINDOW = window();

    private PairedMetrics() {
    }

    private static double[] window() {
        double[] w = new double[2 * RADIUS + 1];
        double sum = 0;
        for (int i = -RADIUS; i <= RADIUS; i++) {
            w[i + RADIUS] = Math.exp(-i * i / (2 * SIGMA * SIGMA));
            sum += w[i + RADIUS];
        }
        for (int i = 0; i < w.length; i++) {
            w[i] /= sum;
        }
        return w;
    }

    /** Mean |a − b| over every value, on [0, 1]. */
    public static double l1(byte[] a, byte[] b, int from, int length) {
        long sum = 0;
        for (int i = from; i < from + length; i++) {
            sum += Math.abs((a[i] & 0xff) - (b[i] & 0xff));
        }
        return sum / 255.0 / length;
    }

    /** 10·log₁₀(255² / MSE) over every value; {@link #PSNR_IDENTICAL} when they are equal. */
    public static double psnr(byte[] a, byte[] b, int from, int length) {
        long squares = 0;
        for (int i = from; i < from + length; i++) {
            long d = (a[i] & 0xff) - (b[i] & 0xff);
            squares += d * d;
        }
        return squares == 0 ? PSNR_IDENTICAL : 10 * Math.log10(255.0 * 255.0 * length / squares);
    }

    /** SSIM of the image at {@code from} in {@code a} and in {@code b}: {@code channels} planes of side². */
    public static double ssim(byte[] a, byte[] b, int from, int channels, int side) {
        if (side < 2 * RADIUS + 1) {
            throw new IllegalArgumentException("SSIM's 11×11 window needs images of at least 11 pixels a side, not "
                    + side);
        }
        double total = 0;
        for (int c = 0; c < channels; c++) {
            total += ssimPlane(a, b, from + c * side * side, side);
        }
        return total / channels;
    }

    private static double ssimPlane(byte[] a, byte[] b, int at, int side) {
        int valid = side - 2 * RADIUS;
        double sum = 0;
        for (int y = RADIUS; y < side - RADIUS; y++) {
            for (int x = RADIUS; x < side - RADIUS; x++) {
                double mx = 0;
                double my = 0;
                double xx = 0;
                double yy = 0;
                double xy = 0;
                for (int dy = -RADIUS; dy <= RADIUS; dy++) {
                    for (int dx = -RADIUS; dx <= RADIUS; dx++) {
                        double w = WINDOW[dy + RADIUS] * WINDOW[dx + RADIUS];
                        int i = at + (y + dy) * side + x + dx;
                        double u = a[i] & 0xff;
                        double v = b[i] & 0xff;
                        mx += w * u;
                        my += w * v;
                        xx += w * u * u;
                        yy += w * v * v;
                        xy += w * u * v;
                    }
                }
                double vx = xx - mx * mx;
                double vy = yy - my * my;
                double cov = xy - mx * my;
                sum += (2 * mx * my + C1) * (2 * cov + C2) / ((mx * mx + my * my + C1) * (vx + vy + C2));
            }
        }
        return sum / ((double) valid * valid);
    }

    /** Output values in [-1, 1] as the 8-bit pixels their PNG holds ({@link Png#toByte}). */
    public static byte[] quantised(float[] values) {
        byte[] out = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) Png.toByte(values[i]);
        }
        return out;
    }
}

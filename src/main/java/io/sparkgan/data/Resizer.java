package io.sparkgan.data;

/**
 * Centre crop to a square, then resample to {@code size}: area averaging when shrinking (every source
 * pixel counts, no aliasing), bilinear when enlarging. Plain Java on byte arrays, so the prepared
 * dataset is the same on every JVM and platform.
 */
public final class Resizer {
    private Resizer() {
    }

    public static byte[] centreCropAndResize(byte[] chw, int channels, int width, int height, int size) {
        int side = Math.min(width, height);
        int x0 = (width - side) / 2;
        int y0 = (height - side) / 2;
        if (side == size && width == height) {
            return chw;
        }
        byte[] out = new byte[channels * size * size];
        for (int c = 0; c < channels; c++) {
            int planeIn = c * width * height;
            int planeOut = c * size * size;
            if (side >= size) {
                shrink(chw, planeIn, width, x0, y0, side, out, planeOut, size);
            } else {
                enlarge(chw, planeIn, width, x0, y0, side, out, planeOut, size);
            }
        }
        return out;
    }

    /**
     * An aligned pair's halves, each resized as an image is: A (the left half) then B (the right), in
     * one array of {@code 2 × channels} planes. {@code width} is twice {@code height}.
     */
    public static byte[] halvesResized(byte[] chw, int channels, int width, int height, int size) {
        int half = width / 2;
        byte[] out = new byte[2 * channels * size * size];
        for (int side = 0; side < 2; side++) {
            byte[] part = new byte[channels * half * height];
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < height; y++) {
                    System.arraycopy(chw, c * width * height + y * width + side * half, part, (c * height + y) * half, half);
                }
            }
            byte[] resized = centreCropAndResize(part, channels, half, height, size);
            System.arraycopy(resized, 0, out, side * channels * size * size, channels * size * size);
        }
        return out;
    }

    private static void shrink(byte[] in, int base, int stride, int x0, int y0, int side,
                               byte[] out, int outBase, int size) {
        double scale = (double) side / size;
        for (int oy = 0; oy < size; oy++) {
            double sy0 = oy * scale;
            double sy1 = sy0 + scale;
            for (int ox = 0; ox < size; ox++) {
                double sx0 = ox * scale;
                double sx1 = sx0 + scale;
                double sum = 0;
                double area = 0;
                for (int sy = (int) sy0; sy < Math.min(side, Math.ceil(sy1)); sy++) {
                    double wy = Math.min(sy1, sy + 1) - Math.max(sy0, sy);
                    for (int sx = (int) sx0; sx < Math.min(side, Math.ceil(sx1)); sx++) {
                        double wx = Math.min(sx1, sx + 1) - Math.max(sx0, sx);
                        double w = wx * wy;
                        sum += w * (in[base + (y0 + sy) * stride + x0 + sx] & 0xff);
                        area += w;
                    }
                }
                out[outBase + oy * size + ox] = (byte) Math.min(255, Math.round(sum / area));
            }
        }
    }

    private static void enlarge(byte[] in, int base, int stride, int x0, int y0, int side,
                                byte[] out, int outBase, int size) {
        double scale = (double) side / size;
        for (int oy = 0; oy < size; oy++) {
            double sy = Math.max(0, Math.min(side - 1, (oy + 0.5) * scale - 0.5));
            int ya = (int) Math.floor(sy);
            int yb = Math.min(side - 1, ya + 1);
            double fy = sy - ya;
            for (int ox = 0; ox < size; ox++) {
                double sx = Math.max(0, Math.min(side - 1, (ox + 0.5) * scale - 0.5));
                int xa = (int) Math.floor(sx);
                int xb = Math.min(side - 1, xa + 1);
                double fx = sx - xa;
                double top = (1 - fx) * px(in, base, stride, x0 + xa, y0 + ya) + fx * px(in, base, stride, x0 + xb, y0 + ya);
                double bottom = (1 - fx) * px(in, base, stride, x0 + xa, y0 + yb) + fx * px(in, base, stride, x0 + xb, y0 + yb);
                out[outBase + oy * size + ox] = (byte) Math.min(255, Math.round((1 - fy) * top + fy * bottom));
            }
        }
    }

    private static int px(byte[] in, int base, int stride, int x, int y) {
        return in[base + y * stride + x] & 0xff;
    }
}

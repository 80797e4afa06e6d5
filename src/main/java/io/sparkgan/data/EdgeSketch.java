package io.sparkgan.data;

/**
 * A line drawing of a grey image, the input half of the edge → image pairs a paired dataset manifest
 * derives ({@code pairs = "edges"}): the pixels where the Sobel gradient's L1 magnitude, |Gx| + |Gy|,
 * reaches {@link #THRESHOLD}, white on black (the polarity of Fashion-MNIST's items), and the image
 * border replicated. The same idea as pix2pix's edges2shoes pairs (Isola et al. 2017, §4: edges from
 * HED), with a filter simple enough to be exact: integer arithmetic, the same bytes on every JVM.
 */
public final class EdgeSketch {
    /** On the scale of Sobel's integer kernels, where a step from 0 to 255 across a straight edge gives 1020. */
    static final int THRESHOLD = 384;

    private EdgeSketch() {
    }

    /** The sketch of a {@code size} × {@code size} grey plane. */
    public static byte[] of(byte[] grey, int size) {
        byte[] out = new byte[size * size];
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int gx = at(grey, size, x + 1, y - 1) + 2 * at(grey, size, x + 1, y) + at(grey, size, x + 1, y + 1)
                        - at(grey, size, x - 1, y - 1) - 2 * at(grey, size, x - 1, y) - at(grey, size, x - 1, y + 1);
                int gy = at(grey, size, x - 1, y + 1) + 2 * at(grey, size, x, y + 1) + at(grey, size, x + 1, y + 1)
                        - at(grey, size, x - 1, y - 1) - 2 * at(grey, size, x, y - 1) - at(grey, size, x + 1, y - 1);
                out[y * size + x] = (byte) (Math.abs(gx) + Math.abs(gy) >= THRESHOLD ? 255 : 0);
            }
        }
        return out;
    }

    private static int at(byte[] grey, int size, int x, int y) {
        int cx = Math.max(0, Math.min(size - 1, x));
        int cy = Math.max(0, Math.min(size - 1, y));
        return grey[cy * size + cx] & 0xff;
    }
}

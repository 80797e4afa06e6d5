package io.sparkgan.model;

/**
 * Plain-Java references for the native kernels {@link KernelSelfCheck} checks, one output element at a
 * time, in double precision. Each returns {value, Σ|terms|}: the exact value up to double rounding, and
 * the sum of the absolute values of the terms it adds, which bounds what rounding may do to a correct
 * kernel's float or double result (Higham, "Accuracy and Stability of Numerical Algorithms", 2002,
 * §3.1: a sum of k products in any order is within γ_k·Σ|terms| of the exact one).
 *
 * <p>Every convolution-family kernel is a sum over the one relation of a convolution with weights
 * [kh, kw, cin, cout], stride s and padding p: input pixel (c, i·s − p + a, j·s − p + b) meets output
 * pixel (o, i, j) through weight (a, b, c, o). The forward pass sums it over (c, a, b), the input
 * gradient over (o, a, b), the weight gradient over (n, i, j); the transposed convolution is the input
 * gradient's sum, and its gradients the forward pass's and the weight gradient's.
 */
final class KernelReference {
    private final int n;
    private final int cin;
    private final int h;
    private final int w;
    private final int cout;
    private final int kh;
    private final int kw;
    private final int stride;
    private final int pad;
    private final int oh;
    private final int ow;

    /** The relation of the forward convolution {n, cin, h, w, cout, kh, kw, stride, pad} (KernelCase's dims). */
    KernelReference(int[] d) {
        n = d[0];
        cin = d[1];
        h = d[2];
        w = d[3];
        cout = d[4];
        kh = d[5];
        kw = d[6];
        stride = d[7];
        pad = d[8];
        oh = (h + 2 * pad - kh) / stride + 1;
        ow = (w + 2 * pad - kw) / stride + 1;
    }

    private int input(int b, int c, int y, int x) {
        return ((b * cin + c) * h + y) * w + x;
    }

    private int output(int b, int o, int i, int j) {
        return ((b * cout + o) * oh + i) * ow + j;
    }

    private int weight(int a, int b, int c, int o) {
        return ((a * kw + b) * cin + c) * cout + o;
    }

    /** Forward convolution at output (b, o, i, j); {@code bias} may be null. */
    double[] forward(float[] x, float[] wt, float[] bias, int b, int o, int i, int j) {
        double sum = bias == null ? 0 : bias[o];
        double abs = Math.abs(sum);
        for (int c = 0; c < cin; c++) {
            for (int a = 0; a < kh; a++) {
                int y = i * stride - pad + a;
                if (y < 0 || y >= h) {
                    continue;
                }
                for (int bb = 0; bb < kw; bb++) {
                    int xx = j * stride - pad + bb;
                    if (xx < 0 || xx >= w) {
                        continue;
                    }
                    double t = (double) x[input(b, c, y, xx)] * wt[weight(a, bb, c, o)];
                    sum += t;
                    abs += Math.abs(t);
                }
            }
        }
        return new double[] {sum, abs};
    }

    /** The convolution's input gradient (the transposed convolution of {@code gy}) at input (b, c, y, x). */
    double[] inputGradient(float[] gy, float[] wt, float[] bias, int b, int c, int y, int x) {
        double sum = bias == null ? 0 : bias[c];
        double abs = Math.abs(sum);
        for (int a = 0; a < kh; a++) {
            int iy = y + pad - a;
            if (iy < 0 || iy % stride != 0 || iy / stride >= oh) {
                continue;
            }
            for (int bb = 0; bb < kw; bb++) {
                int jx = x + pad - bb;
                if (jx < 0 || jx % stride != 0 || jx / stride >= ow) {
                    continue;
                }
                for (int o = 0; o < cout; o++) {
                    double t = (double) gy[output(b, o, iy / stride, jx / stride)] * wt[weight(a, bb, c, o)];
                    sum += t;
                    abs += Math.abs(t);
                }
            }
        }
        return new double[] {sum, abs};
    }

    /** The convolution's weight gradient at (a, b, c, o): Σ over images and output pixels. */
    double[] weightGradient(float[] x, float[] gy, int a, int bb, int c, int o) {
        double sum = 0;
        double abs = 0;
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < oh; i++) {
                int y = i * stride - pad + a;
                if (y < 0 || y >= h) {
                    continue;
                }
                for (int j = 0; j < ow; j++) {
                    int xx = j * stride - pad + bb;
                    if (xx < 0 || xx >= w) {
                        continue;
                    }
                    double t = (double) x[input(b, c, y, xx)] * gy[output(b, o, i, j)];
                    sum += t;
                    abs += Math.abs(t);
                }
            }
        }
        return new double[] {sum, abs};
    }

    /** Σ over images and pixels of channel {@code c} of an NCHW array [n, channels, rows, cols]. */
    static double[] channelSum(float[] a, int n, int channels, int pixels, int c) {
        double sum = 0;
        double abs = 0;
        for (int b = 0; b < n; b++) {
            int base = (b * channels + c) * pixels;
            for (int p = 0; p < pixels; p++) {
                sum += a[base + p];
                abs += Math.abs(a[base + p]);
            }
        }
        return new double[] {sum, abs};
    }

    /** (op(A) op(B))[i, j] for A, B row-major, op a transpose when asked. */
    static double[] gemm(double[] a, double[] b, int m, int k, int nOut, boolean transposeA, boolean transposeB,
                         int i, int j) {
        double sum = 0;
        double abs = 0;
        for (int p = 0; p < k; p++) {
            double av = transposeA ? a[p * m + i] : a[i * k + p];
            double bv = transposeB ? b[j * k + p] : b[p * nOut + j];
            double t = av * bv;
            sum += t;
            abs += Math.abs(t);
        }
        return new double[] {sum, abs};
    }

    int oh() {
        return oh;
    }

    int ow() {
        return ow;
    }
}

package io.sparkgan.model;

import io.sparkgan.model.KernelCase.Kind;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A known-answer check of one native kernel at one shape: the kernel runs on seeded random inputs,
 * and 128 sampled elements of each of its outputs are compared with {@link KernelReference}'s plain-Java
 * double results against the rounding bound a correct kernel meets: |ŷ − y| ≤ c·(k + 1)·u·Σ|terms|
 * for a sum of k products (c = 2 for float, 4 for double, u the type's unit roundoff), a few u of the
 * result for the elementwise kernels. A wrong kernel misses by orders of magnitude: OpenBLAS 0.3.19's
 * Cooperlake double gemm at n = 128 and the dsyev it fed were off by tens of percent.
 *
 * <p>The bound is rigorous, so a correct kernel never fails it, and that makes it loose: random data
 * give |y| ≈ √k·Σ|terms|/k, so an error is caught once it exceeds about 2·k^1.5·u of the result,
 * 0.4 % at k = 1000 and 10 % at k = 8000 in float. The kernels known to be wrong are off by the size
 * of the result itself.
 *
 * <p>{@code SPARKGAN_SELFCHECK_PERTURB=<kernel>} (environment) or {@code -Dsparkgan.selfcheck.perturb}
 * scales that kernel's output by 1.1 before the comparison: the fault the tests inject to show a
 * wrong kernel is caught, on a driver, a forked JVM or an executor. Nothing else reads it.
 */
public final class KernelSelfCheck {
    /** Output elements compared per output array (all of them when fewer): a wrong kernel spoils many. */
    static final int SAMPLES = 128;
    private static final double FLOAT_U = 0x1p-24;
    private static final double DOUBLE_U = 0x1p-53;
    /**
     * cuDNN may run float convolutions in TF32 on Ampere and later GPUs (libnd4j leaves its math type at
     * the default), rounding inputs to 10 bits: on a GPU, float kernels are held to that unit roundoff.
     */
    private static final double TF32_U = 0x1p-11;

    /** The outcome for one case: the worst element over its outputs, relative to its bound. */
    public record Result(KernelCase kernel, String output, double worstError, double bound, double ratio,
                         double seconds) {
        public boolean ok() {
            return ratio <= 1;
        }

        /** {@code self-check <kernel> <dtype> <shape> ok|WRONG worst <err> bound <b>}. */
        public String line() {
            return String.format(Locale.ROOT, "self-check %s %s worst %.3g bound %.3g", kernel.key(),
                    ok() ? "ok" : "WRONG", worstError, bound) + (ok() ? "" : " (" + output + ")");
        }
    }

    private KernelSelfCheck() {
    }

    /** Runs {@code kernel} once on inputs drawn from {@code seed} and compares it. */
    public static Result check(KernelCase kernel, long seed) {
        long started = System.nanoTime();
        // the key's String hash, unlike an enum's, is the same in every JVM: so are the inputs
        Comparison comparison = new Comparison(kernel, new SplittableRandom(seed ^ kernel.key().hashCode()));
        int[] d = kernel.dims();
        switch (kernel.kind()) {
            case GEMM -> gemm(comparison, d);
            case CONV2D, CONV2D_BP, DECONV2D, DECONV2D_BP -> convolution(comparison, kernel.kind(), d);
            case BATCHNORM, MOMENTS, TANH -> perChannel(comparison, kernel.kind(), d);
            case RESAMPLE -> resample(comparison, d);
            default -> throw new IllegalArgumentException(kernel.toString());
        }
        return comparison.result((System.nanoTime() - started) / 1e9);
    }

    private static void gemm(Comparison c, int[] d) {
        int m = d[0];
        int k = d[1];
        int n = d[2];
        boolean ta = d[3] == 1;
        boolean tb = d[4] == 1;
        double[] a = c.uniform(m * k);
        double[] b = c.uniform(k * n);
        INDArray aa = c.array(a, ta ? new long[] {k, m} : new long[] {m, k});
        INDArray bb = c.array(b, tb ? new long[] {n, k} : new long[] {k, n});
        INDArray product = Kernels.matmul(aa, bb, ta, tb);
        c.compare("C", product, k, i -> KernelReference.gemm(a, b, m, k, n, ta, tb, i / n, i % n));
    }

    private static void convolution(Comparison c, Kind kind, int[] d) {
        KernelReference r = new KernelReference(d);
        int n = d[0];
        int cin = d[1];
        int h = d[2];
        int w = d[3];
        int cout = d[4];
        int taps = d[5] * d[6];
        int oh = r.oh();
        int ow = r.ow();
        Kernels.Window window = new Kernels.Window(d[5], d[7], d[8]);
        float[] weights = c.floats(taps * cin * cout);
        INDArray wt = c.array(weights, d[5], d[6], cin, cout);
        float[] x = c.floats(n * cin * h * w); // the convolution's input side [n, cin, h, w]
        float[] y = c.floats(n * cout * oh * ow); // its output side [n, cout, oh, ow]
        INDArray xa = c.array(x, n, cin, h, w);
        INDArray ya = c.array(y, n, cout, oh, ow);
        int inPixels = h * w;
        int outPixels = oh * ow;
        switch (kind) {
            case CONV2D -> {
                float[] bias = c.floats(cout);
                INDArray out = Kernels.conv2d(xa, wt, c.array(bias, cout), window);
                c.compare("output", out, cin * taps + 1,
                        i -> r.forward(x, weights, bias, i / (cout * outPixels), i / outPixels % cout,
                                i % outPixels / ow, i % ow));
            }
            case CONV2D_BP -> {
                float[] bias = c.floats(cout);
                INDArray[] g = Kernels.conv2dBackward(xa, wt, c.array(bias, cout), ya, window);
                c.compare("input gradient", g[0], cout * taps + 1,
                        i -> r.inputGradient(y, weights, null, i / (cin * inPixels), i / inPixels % cin,
                                i % inPixels / w, i % w));
                c.compare("weight gradient", g[1], n * outPixels, i -> weightGradient(r, x, y, cin, cout, d, i));
                c.compare("bias gradient", g[2], n * outPixels,
                        i -> KernelReference.channelSum(y, n, cout, outPixels, i));
            }
            case DECONV2D -> {
                float[] bias = c.floats(cin);
                INDArray out = Kernels.deconv2d(ya, wt, c.array(bias, cin), window);
                c.compare("output", out, cout * taps + 1,
                        i -> r.inputGradient(y, weights, bias, i / (cin * inPixels), i / inPixels % cin,
                                i % inPixels / w, i % w));
            }
            case DECONV2D_BP -> {
                float[] bias = c.floats(cin);
                INDArray[] g = Kernels.deconv2dBackward(ya, wt, c.array(bias, cin), xa, window);
                c.compare("input gradient", g[0], cin * taps + 1,
                        i -> r.forward(x, weights, null, i / (cout * outPixels), i / outPixels % cout,
                                i % outPixels / ow, i % ow));
                c.compare("weight gradient", g[1], n * outPixels, i -> weightGradient(r, x, y, cin, cout, d, i));
                c.compare("bias gradient", g[2], n * inPixels, i -> KernelReference.channelSum(x, n, cin, inPixels, i));
            }
            default -> throw new IllegalArgumentException(kind.toString());
        }
    }

    /** Element i of a weight gradient [kh, kw, cin, cout]. */
    private static double[] weightGradient(KernelReference r, float[] x, float[] y, int cin, int cout, int[] d,
                                           int i) {
        int o = i % cout;
        int ci = i / cout % cin;
        int b = i / (cout * cin) % d[6];
        int a = i / (cout * cin * d[6]);
        return r.weightGradient(x, y, a, b, ci, o);
    }

    /** Nearest up-sampling (a copy: exact) and the 2×2 block sum (four terms) of [n, c, h, w] ↔ [n, c, 2h, 2w]. */
    private static void resample(Comparison c, int[] d) {
        int h = d[2];
        int w = d[3];
        float[] x = c.floats(d[0] * d[1] * h * w);
        float[] big = c.floats(x.length * 4);
        c.compare("up-sampled", Kernels.upsampleNearest(c.array(x, d[0], d[1], h, w)), 0, i -> {
            int plane = i / (4 * h * w);
            double v = x[plane * h * w + i % (4 * h * w) / (2 * w) / 2 * w + i % (2 * w) / 2];
            return new double[] {v, Math.abs(v)};
        });
        c.compare("block sum", Kernels.blockSum(c.array(big, d[0], d[1], 2 * h, 2 * w)), 3, i -> {
            int plane = i / (h * w);
            int row = i % (h * w) / w;
            int col = i % w;
            double sum = 0;
            double abs = 0;
            for (int dy = 0; dy < 2; dy++) {
                for (int dx = 0; dx < 2; dx++) {
                    double v = big[plane * 4 * h * w + (2 * row + dy) * 2 * w + 2 * col + dx];
                    sum += v;
                    abs += Math.abs(v);
                }
            }
            return new double[] {sum, abs};
        });
    }

    private static void perChannel(Comparison c, Kind kind, int[] d) {
        int n = d[0];
        int channels = d[1];
        int pixels = d[2] * d[3];
        float[] x = c.floats(n * channels * pixels);
        INDArray xa = c.array(x, n, channels, d[2], d[3]);
        double[] mean = new double[channels];
        double[] meanAbs = new double[channels];
        double[] variance = new double[channels];
        double[] squares = new double[channels];
        long count = (long) n * pixels;
        for (int ch = 0; ch < channels; ch++) {
            double[] s = KernelReference.channelSum(x, n, channels, pixels, ch);
            mean[ch] = s[0] / count;
            meanAbs[ch] = s[1] / count;
            for (int b = 0; b < n; b++) {
                for (int p = 0; p < pixels; p++) {
                    double v = x[(b * channels + ch) * pixels + p];
                    variance[ch] += (v - mean[ch]) * (v - mean[ch]);
                    squares[ch] += v * v;
                }
            }
            variance[ch] /= count;
            squares[ch] /= count;
        }
        switch (kind) {
            case MOMENTS -> {
                INDArray[] moments = Kernels.channelMoments(xa);
                double scale = 2 * (count + 1);
                c.compareWithBound("mean", moments[0], i -> new double[] {mean[i], scale * meanAbs[i]});
                // two-pass or one-pass (E x² − mean²): either is within this of the exact variance
                c.compareWithBound("variance", moments[1], i -> new double[] {variance[i],
                    2 * scale * (squares[i] + mean[i] * mean[i])});
            }
            case BATCHNORM -> {
                float[] gamma = new float[channels];
                float[] beta = c.floats(channels);
                float[] m = new float[channels];
                float[] v = new float[channels];
                for (int ch = 0; ch < channels; ch++) {
                    gamma[ch] = 0.5f + (float) c.random.nextDouble();
                    m[ch] = (float) mean[ch];
                    v[ch] = (float) variance[ch];
                }
                double eps = Normalisation.EPSILON;
                INDArray y = Kernels.batchNorm(xa, c.array(m, channels), c.array(v, channels),
                        c.array(gamma, channels), c.array(beta, channels), eps);
                c.compareWithBound("output", y, i -> {
                    int ch = i / pixels % channels;
                    double inv = 1 / Math.sqrt((double) v[ch] + eps);
                    double value = gamma[ch] * (x[i] - (double) m[ch]) * inv + beta[ch];
                    // a fused scale-and-shift computes x·(γ/σ) + (β − m·γ/σ): bound its terms
                    return new double[] {value, 8 * (Math.abs(gamma[ch]) * (Math.abs(x[i]) + Math.abs(m[ch])) * inv
                            + Math.abs(beta[ch]))};
                });
            }
            case TANH -> {
                float[] gy = c.floats(x.length);
                INDArray t = Kernels.tanh(xa);
                INDArray g = Kernels.tanhBackward(xa, c.array(gy, n, channels, d[2], d[3]));
                // libnd4j's tanh is accurate to a few units in the last place of the result, and
                // absolutely to a few u near 0, where the result's last place is finer than float's
                c.compareWithBound("tanh", t, i -> {
                    double v = Math.tanh(x[i]);
                    return new double[] {v, 16 * (Math.abs(v) + 1)};
                });
                c.compareWithBound("tanh gradient", g, i -> {
                    double v = Math.tanh(x[i]);
                    return new double[] {gy[i] * (1 - v * v), 16 * Math.abs(gy[i]) * (1 + v * v + 1)};
                });
            }
            default -> throw new IllegalArgumentException(kind.toString());
        }
    }

    /** Inputs, the native outputs' sampled comparison, and the worst of it. */
    private static final class Comparison {
        final KernelCase kernel;
        final SplittableRandom random;
        final double u;
        final String perturbed = perturbedKernel();
        double worstRatio = -1;
        double worstError;
        double worstBound;
        String worstOutput = "";

        Comparison(KernelCase kernel, SplittableRandom random) {
            this.kernel = kernel;
            this.random = random;
            this.u = kernel.dtype() == DataType.DOUBLE ? DOUBLE_U : Nd4j.getEnvironment().isCPU() ? FLOAT_U : TF32_U;
        }

        float[] floats(int n) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (2 * random.nextDouble() - 1);
            }
            return v;
        }

        /** Uniform in [−1, 1), representable in the case's type. */
        double[] uniform(int n) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                double r = 2 * random.nextDouble() - 1;
                v[i] = kernel.dtype() == DataType.DOUBLE ? r : (float) r;
            }
            return v;
        }

        INDArray array(float[] v, long... shape) {
            return Nd4j.create(v, shape, 'c');
        }

        INDArray array(double[] v, long[] shape) {
            INDArray a = Nd4j.create(v, shape, 'c');
            return kernel.dtype() == DataType.DOUBLE ? a : a.castTo(DataType.FLOAT);
        }

        /** A sum of up to {@code k} products per element: bound c·(k + 1)·u·Σ|terms|. */
        void compare(String output, INDArray actual, long k, IntFunction<double[]> reference) {
            double c = kernel.dtype() == DataType.DOUBLE ? 4 : 2;
            compareWithBound(output, actual, i -> {
                double[] r = reference.apply(i);
                return new double[] {r[0], c * (k + 1) * r[1]};
            });
        }

        /** reference(i) = {exact value, bound in units of u}. */
        void compareWithBound(String output, INDArray actual, IntFunction<double[]> reference) {
            double[] values = actual.castTo(DataType.DOUBLE).dup('c').data().asDouble();
            if (kernel.kind().label.equals(perturbed)) {
                for (int i = 0; i < values.length; i++) {
                    values[i] *= 1.1; // the injected fault: a kernel 10 % off
                }
            }
            int n = values.length;
            int samples = Math.min(n, SAMPLES);
            for (int s = 0; s < samples; s++) {
                int i = samples == n ? s : s == 0 ? 0 : s == 1 ? n - 1 : random.nextInt(n);
                double[] r = reference.apply(i);
                double error = Math.abs(values[i] - r[0]);
                double bound = r[1] * u + Double.MIN_NORMAL;
                double ratio = Double.isFinite(values[i]) ? error / bound : Double.POSITIVE_INFINITY;
                if (ratio > worstRatio) {
                    worstRatio = ratio;
                    worstError = Double.isFinite(values[i]) ? error : Double.POSITIVE_INFINITY;
                    worstBound = bound;
                    worstOutput = output + " element " + i;
                }
            }
        }

        Result result(double seconds) {
            return new Result(kernel, worstOutput, worstError, worstBound, worstRatio, seconds);
        }
    }

    /** The kernel a test asked to perturb, or null. */
    static String perturbedKernel() {
        String v = System.getProperty("sparkgan.selfcheck.perturb");
        if (v == null || v.isBlank()) {
            v = System.getenv("SPARKGAN_SELFCHECK_PERTURB");
        }
        return v == null || v.isBlank() ? null : v.trim();
    }
}

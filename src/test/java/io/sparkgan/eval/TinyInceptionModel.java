package io.sparkgan.eval;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The features of the tiny InceptionV3 stand-ins written by
 * {@code src/test/resources/eval/make_tiny_inception_h5.py}, computed by hand from the numbers that
 * script also writes as text: conv2d (3×3, stride 2, valid, no bias) → BatchNormalization
 * (scale=False) → ReLU → mean over spatial positions.
 */
record TinyInceptionModel(double[] kernel, double[] beta, double[] mean, double[] variance, double epsilon,
                          int stride) {
    static final int FILTERS = 4;
    static final int K = 3;

    static TinyInceptionModel read(Path file) throws Exception {
        Map<String, double[]> values = new HashMap<>();
        Map<String, String> scalars = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            String[] parts = line.trim().split(" ");
            if (parts.length == 2) {
                scalars.put(parts[0], parts[1]);
                continue;
            }
            double[] v = new double[parts.length - 2];
            for (int i = 0; i < v.length; i++) {
                v[i] = Double.parseDouble(parts[i + 2]);
            }
            values.put(parts[0], v);
        }
        return new TinyInceptionModel(values.get("kernel"), values.get("beta"), values.get("moving_mean"),
                values.get("moving_variance"), Double.parseDouble(scalars.get("epsilon")),
                Integer.parseInt(scalars.get("stride")));
    }

    /** Kernel in Keras's HWIO order, C-order flattened. */
    double k(int dy, int dx, int c, int f) {
        return kernel[((dy * K + dx) * 3 + c) * FILTERS + f];
    }

    double[] features(double[][][] rgb) {
        int size = rgb[0].length;
        int out = (size - K) / stride + 1;
        double[] sums = new double[FILTERS];
        for (int y = 0; y < out; y++) {
            for (int x = 0; x < out; x++) {
                for (int f = 0; f < FILTERS; f++) {
                    double conv = 0;
                    for (int dy = 0; dy < K; dy++) {
                        for (int dx = 0; dx < K; dx++) {
                            for (int c = 0; c < 3; c++) {
                                conv += rgb[c][y * stride + dy][x * stride + dx] * k(dy, dx, c, f);
                            }
                        }
                    }
                    double bn = (conv - mean[f]) / Math.sqrt(variance[f] + epsilon) + beta[f];
                    sums[f] += Math.max(0, bn);
                }
            }
        }
        for (int f = 0; f < FILTERS; f++) {
            sums[f] /= (double) out * out;
        }
        return sums;
    }
}

package io.sparkgan.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.io.Npy;
import io.sparkgan.io.NpyArray;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FidStatsFileTest {
    private static final double[] MU = {0.1, -1.25, 3.0};
    private static final double[] SIGMA = {2.0, 0.3, -0.5, 0.3, 1.0 / 3, 0.125, -0.5, 0.125, 0.75};

    @Test
    void writtenStatisticsReadBackExactly() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FidStatsFile.write(out, MU, SIGMA, 3);
        FidStats back = FidStatsFile.read(new ByteArrayInputStream(out.toByteArray()));
        assertEquals(3, back.dimension());
        assertArrayEquals(MU, back.mu());
        assertArrayEquals(SIGMA, back.sigma());

        Map<String, NpyArray> arrays = Npy.readNpz(new ByteArrayInputStream(out.toByteArray()));
        assertEquals(List.of("mu", "sigma"), List.copyOf(arrays.keySet()));
        assertEquals(NpyArray.Dtype.FLOAT64, arrays.get("sigma").dtype());
        assertArrayEquals(new long[] {3}, arrays.get("mu").shape());
        assertArrayEquals(new long[] {3, 3}, arrays.get("sigma").shape());
    }

    /**
     * Made with numpy 1.24 as pytorch-fid's save_fid_stats saves (np.savez, which writes zip64 extra
     * fields in every local header):
     *
     * <pre>
     * import numpy as np
     * mu = np.array([0.1, -1.25, 3.0])
     * sigma = np.array([[2.0, 0.3, -0.5], [0.3, 1.0 / 3, 0.125], [-0.5, 0.125, 0.75]])
     * np.savez('pytorch-fid-stats.npz', mu=mu, sigma=sigma)
     * np.savez('pytorch-fid-stats-float32-mu.npz', mu=mu.astype(np.float32), sigma=sigma)
     * </pre>
     */
    @Test
    void readsStatisticsWrittenByNumpy() throws IOException {
        FidStats stats = read("/eval/pytorch-fid-stats.npz");
        assertEquals(3, stats.dimension());
        assertArrayEquals(MU, stats.mu());
        assertArrayEquals(SIGMA, stats.sigma());
    }

    /** pytorch-fid's own statistics: mu is the mean of float32 activations (float32), sigma np.cov's float64. */
    @Test
    void readsAFloat32MeanNextToAFloat64Covariance() throws IOException {
        FidStats stats = read("/eval/pytorch-fid-stats-float32-mu.npz");
        assertArrayEquals(new double[] {(float) 0.1, -1.25, 3.0}, stats.mu());
        assertArrayEquals(SIGMA, stats.sigma());
    }

    @Test
    void malformedFilesNameWhatIsWrong() {
        Map<String, NpyArray> noSigma = new LinkedHashMap<>();
        noSigma.put("mu", NpyArray.ofDoubles(MU));
        noSigma.put("cov", NpyArray.ofDoubles(SIGMA, 3, 3));
        String missing = readError(noSigma);
        assertTrue(missing.contains("no array 'sigma'") && missing.contains("[mu, cov]"), missing);

        Map<String, NpyArray> wrongShape = new LinkedHashMap<>();
        wrongShape.put("mu", NpyArray.ofDoubles(MU));
        wrongShape.put("sigma", NpyArray.ofDoubles(new double[] {1, 0, 0, 1}, 2, 2));
        String shape = readError(wrongShape);
        assertTrue(shape.contains("'sigma' must have shape [3, 3]") && shape.contains("found [2, 2]"), shape);

        Map<String, NpyArray> matrixMu = new LinkedHashMap<>();
        matrixMu.put("mu", NpyArray.ofDoubles(MU, 1, 3));
        matrixMu.put("sigma", NpyArray.ofDoubles(SIGMA, 3, 3));
        String mu = readError(matrixMu);
        assertTrue(mu.contains("'mu' must be a vector [d], found shape [1, 3]"), mu);

        Map<String, NpyArray> integers = new LinkedHashMap<>();
        integers.put("mu", NpyArray.ofInts(new int[] {0, 1, 2}));
        integers.put("sigma", NpyArray.ofDoubles(SIGMA, 3, 3));
        String dtype = readError(integers);
        assertTrue(dtype.contains("'mu' must be float32 or float64, found INT32"), dtype);

        assertThrows(IllegalArgumentException.class,
                () -> FidStatsFile.write(new ByteArrayOutputStream(), MU, new double[] {1, 0, 0, 1}, 3));
    }

    private static String readError(Map<String, NpyArray> arrays) {
        return assertThrows(IOException.class,
                () -> FidStatsFile.read(new ByteArrayInputStream(Npy.npzBytes(arrays)))).getMessage();
    }

    private static FidStats read(String resource) throws IOException {
        try (InputStream in = FidStatsFileTest.class.getResourceAsStream(resource)) {
            assertTrue(in != null, "test resource " + resource);
            return FidStatsFile.read(in);
        }
    }
}

package io.sparkgan.eval;

import io.sparkgan.io.Npy;
import io.sparkgan.io.NpyArray;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * FID statistics as an {@code .npz} file laid out as pytorch-fid's {@code save_fid_stats} writes it
 * ({@code np.savez(path, mu=mu, sigma=sigma)}): two arrays, {@code mu} [d] and {@code sigma} [d, d].
 * We write float64; we read float32 or float64 (pytorch-fid's own files hold a float32 {@code mu},
 * the mean of float32 activations, next to a float64 {@code sigma} from np.cov), so dataset
 * statistics computed by either tool can be used by the other.
 */
public final class FidStatsFile {
    private FidStatsFile() {
    }

    public static void write(OutputStream out, FidStats stats) throws IOException {
        write(out, stats.mu(), stats.sigma(), stats.dimension());
    }

    /** Writes {@code mu} [d] and {@code sigma} (row-major d × d) as float64; does not close {@code out}. */
    public static void write(OutputStream out, double[] mu, double[] sigmaFlat, int d) throws IOException {
        new FidStats(mu, sigmaFlat, d); // checks the lengths before anything is written
        Map<String, NpyArray> arrays = new LinkedHashMap<>();
        arrays.put("mu", NpyArray.ofDoubles(mu, d));
        arrays.put("sigma", NpyArray.ofDoubles(sigmaFlat, d, d));
        Npy.writeNpz(arrays, out);
        out.flush();
    }

    /**
     * Reads {@code mu} and {@code sigma} from an .npz; other members are ignored. Fails with an
     * IOException naming what is missing or the shapes found and expected.
     */
    public static FidStats read(InputStream in) throws IOException {
        Map<String, NpyArray> arrays = Npy.readNpz(in);
        NpyArray mu = member(arrays, "mu");
        NpyArray sigma = member(arrays, "sigma");
        if (mu.shape().length != 1) {
            throw new IOException("FID statistics: 'mu' must be a vector [d], found shape " + Arrays.toString(mu.shape()));
        }
        long d = mu.shape()[0];
        if (d < 1 || d > 46340) {
            // 46340² is the largest d × d that fits a Java array.
            throw new IOException("FID statistics: 'mu' has unusable length " + d);
        }
        if (!Arrays.equals(sigma.shape(), new long[] {d, d})) {
            throw new IOException("FID statistics: 'sigma' must have shape [" + d + ", " + d + "] to match 'mu' ["
                    + d + "], found " + Arrays.toString(sigma.shape()));
        }
        return new FidStats(values(mu, "mu"), values(sigma, "sigma"), (int) d);
    }

    private static NpyArray member(Map<String, NpyArray> arrays, String key) throws IOException {
        NpyArray array = arrays.get(key);
        if (array == null) {
            throw new IOException("FID statistics: no array '" + key + "' in the .npz (found " + arrays.keySet()
                    + "; expected 'mu' and 'sigma' as np.savez(path, mu=mu, sigma=sigma) writes them)");
        }
        return array;
    }

    private static double[] values(NpyArray array, String key) throws IOException {
        if (array.dtype() != NpyArray.Dtype.FLOAT64 && array.dtype() != NpyArray.Dtype.FLOAT32) {
            throw new IOException("FID statistics: '" + key + "' must be float32 or float64, found " + array.dtype());
        }
        return array.asDoubles();
    }
}

package io.sparkgan.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.io.Json;
import io.sparkgan.io.Npy;
import io.sparkgan.io.NpyArray;
import io.sparkgan.io.Storage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reference statistics of the real images, cached next to the prepared dataset and keyed by
 * (dataset content hash, extractor hash, N):
 * <pre>
 *   &lt;data.shards&gt;/fid/real-&lt;extractor&gt;-&lt;sha12&gt;-n&lt;N&gt;.npz        mu, sigma (pytorch-fid layout)
 *   &lt;data.shards&gt;/fid/real-&lt;extractor&gt;-&lt;sha12&gt;-n&lt;N&gt;.kid.npy    feature rows for KID, float64 [m, d]
 *   &lt;data.shards&gt;/fid/real-&lt;extractor&gt;-&lt;sha12&gt;-n&lt;N&gt;.classes.npz  mu_k, sigma_k per class k (conditional runs)
 *   &lt;data.shards&gt;/fid/real-&lt;extractor&gt;-&lt;sha12&gt;-n&lt;N&gt;.factor.npy   B with B Bᵀ = sigma, float64 [d, r]
 *   &lt;data.shards&gt;/fid/real-&lt;extractor&gt;-&lt;sha12&gt;-n&lt;N&gt;.json       the key, class counts; written last
 * </pre>
 * The .npz can be handed to pytorch-fid or to {@code sparkgan fid --stats}. The factor
 * ({@link CovarianceFactor}) is what makes a checkpoint's FID cheap; it is checked against sigma
 * whenever it is read. The key includes the metric code's version ({@link FrechetDistance#VERSION}):
 * statistics cached by another version are computed again.
 */
final class RealStatistics {
    private static final Logger LOG = LoggerFactory.getLogger(RealStatistics.class);

    /**
     * The statistics a score needs from the real side; {@code classMu} and {@code classSigma} per
     * labelled class for intra-class FID, null when not computed.
     */
    record Reference(double[] mu, double[] sigma, CovarianceFactor factor, int dimension, long count,
                     double[][] kidFeatures, long[] classCounts, String npzUri, double[][] classMu,
                     double[][] classSigma, CovarianceFactor[] classFactors) {}

    private RealStatistics() {
    }

    static String baseName(ExtractorSpec extractor, long samples) {
        return "real-" + extractor.name() + "-" + extractor.sha256().substring(0, 12) + "-n" + samples;
    }

    /**
     * The cached statistics, or null when there are none for this data and extractor, or when
     * {@code perClass} asks for per-class statistics the cache lacks.
     */
    static Reference cached(Storage storage, String shardsLocation, DatasetInfo info, ExtractorSpec extractor,
                            long samples, boolean perClass) throws IOException {
        Path dir = new Path(Storage.qualify(shardsLocation), "fid");
        String base = baseName(extractor, samples);
        Path json = new Path(dir, base + ".json");
        if (!storage.exists(json)) {
            return null;
        }
        JsonNode node = Json.parse(storage.readString(json));
        if (!info.contentSha256().equals(node.path("dataset_sha256").asText())
                || !extractor.sha256().equals(node.path("extractor_sha256").asText())) {
            LOG.info("fid: cached real statistics {} are for other data or features; computing them again", json);
            return null;
        }
        if (node.path("metrics_version").asInt(1) != FrechetDistance.VERSION) {
            LOG.info("fid: cached real statistics {} were computed by metric code version {} (this is {}); computing"
                    + " them again", json, node.path("metrics_version").asInt(1), FrechetDistance.VERSION);
            return null;
        }
        Path npz = new Path(dir, base + ".npz");
        FidStats stats = FidStatsFile.read(new ByteArrayInputStream(storage.readBytes(npz)));
        CovarianceFactor factor = readFactor(storage, new Path(dir, base + ".factor.npy"), stats);
        NpyArray kid = Npy.read(new ByteArrayInputStream(storage.readBytes(new Path(dir, base + ".kid.npy"))));
        long[] classCounts = new long[node.path("class_counts").size()];
        for (int c = 0; c < classCounts.length; c++) {
            classCounts[c] = node.path("class_counts").get(c).asLong();
        }
        double[][] classMu = null;
        double[][] classSigma = null;
        Path classes = new Path(dir, base + ".classes.npz");
        if (perClass) {
            if (!storage.exists(classes)) {
                LOG.info("fid: cached real statistics {} have no per-class statistics; computing them again", json);
                return null;
            }
            Map<String, NpyArray> arrays = Npy.readNpz(new ByteArrayInputStream(storage.readBytes(classes)));
            int k = arrays.size() / 2;
            classMu = new double[k][];
            classSigma = new double[k][];
            for (int c = 0; c < k; c++) {
                classMu[c] = arrays.get("mu_" + c).asDoubles();
                classSigma[c] = arrays.get("sigma_" + c).asDoubles();
            }
        }
        LOG.info("fid: reusing real statistics {}", npz);
        return new Reference(stats.mu(), stats.sigma(), factor, stats.dimension(), node.path("count").asLong(),
                rows(kid), classCounts, npz.toString(), classMu, classSigma, classFactors(classSigma, stats.dimension()));
    }

    static Reference save(Storage storage, String shardsLocation, DatasetInfo info, ExtractorSpec extractor,
                          long samples, FeatureSummary summary) throws IOException {
        Path dir = new Path(Storage.qualify(shardsLocation), "fid");
        String base = baseName(extractor, samples);
        double[] mu = summary.stats.mean();
        double[] sigma = summary.stats.covariance();
        int d = summary.stats.dimension();
        Path npz = new Path(dir, base + ".npz");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        FidStatsFile.write(bytes, mu, sigma, d);
        storage.writeAtomically(npz, bytes.toByteArray());
        CovarianceFactor factor = writeFactor(storage, new Path(dir, base + ".factor.npy"), sigma, d);
        double[][] kid = summary.kidFeatures();
        storage.writeAtomically(new Path(dir, base + ".kid.npy"), Npy.toBytes(NpyArray.ofDoubles(flatten(kid, d),
                kid.length, d)));
        double[][] classMu = null;
        double[][] classSigma = null;
        if (summary.perClass != null) {
            classMu = new double[summary.perClass.length][];
            classSigma = new double[summary.perClass.length][];
            Map<String, NpyArray> arrays = new LinkedHashMap<>();
            for (int c = 0; c < summary.perClass.length; c++) {
                classMu[c] = summary.perClass[c].mean();
                // a class with fewer than two images has no covariance: NaN, which intra-class FID skips
                classSigma[c] = summary.perClass[c].count() < 2 ? nans(d * d) : summary.perClass[c].covariance();
                arrays.put("mu_" + c, NpyArray.ofDoubles(classMu[c], d));
                arrays.put("sigma_" + c, NpyArray.ofDoubles(classSigma[c], d, d));
            }
            storage.writeAtomically(new Path(dir, base + ".classes.npz"), Npy.npzBytes(arrays));
        }
        ObjectNode json = Json.object();
        json.put("dataset", info.name());
        json.put("dataset_sha256", info.contentSha256());
        json.put("extractor", extractor.name());
        json.put("extractor_sha256", extractor.sha256());
        json.put("samples_requested", samples);
        json.put("count", summary.stats.count());
        json.put("feature_dim", d);
        json.put("metrics_version", FrechetDistance.VERSION);
        ArrayNode counts = json.putArray("class_counts");
        for (long c : summary.classCounts) {
            counts.add(c);
        }
        json.put("created_at", Instant.now().toString());
        storage.writeString(new Path(dir, base + ".json"), Json.pretty(json));
        return new Reference(mu, sigma, factor, d, summary.stats.count(), kid, summary.classCounts.clone(),
                npz.toString(), classMu, classSigma, classFactors(classSigma, d));
    }

    /**
     * The cached factor of the real covariance, checked against it; computed and written again when it
     * is missing or does not factor it (a file from an interrupted write, or from other statistics).
     */
    private static CovarianceFactor readFactor(Storage storage, Path path, FidStats stats) throws IOException {
        int d = stats.dimension();
        if (storage.exists(path)) {
            NpyArray array = Npy.read(new ByteArrayInputStream(storage.readBytes(path)));
            if (array.shape().length == 2 && array.shape()[0] == d && array.dtype() == NpyArray.Dtype.FLOAT64) {
                CovarianceFactor factor = new CovarianceFactor(d, (int) array.shape()[1], array.asDoubles());
                double ratio = factor.worstResidualRatio(stats.sigma());
                if (ratio <= 1) {
                    return factor;
                }
                LOG.warn("fid: the cached factor {} does not factor the real covariance (residual {} times its"
                        + " bound); computing it again", path, String.format(Locale.ROOT, "%.3g", ratio));
            } else {
                LOG.warn("fid: the cached factor {} has shape {} ({}), expected [{}, r] float64; computing it again",
                        path, Arrays.toString(array.shape()), array.dtype(), d);
            }
        }
        return writeFactor(storage, path, stats.sigma(), d);
    }

    private static CovarianceFactor writeFactor(Storage storage, Path path, double[] sigma, int d) throws IOException {
        long started = System.nanoTime();
        CovarianceFactor factor = CovarianceFactor.of(sigma, d);
        storage.writeAtomically(path, Npy.toBytes(NpyArray.ofDoubles(factor.values(), d, factor.rank())));
        LOG.info("fid: factored the real covariance ({} × {}, rank {}) in {} s: {}", d, d, factor.rank(),
                String.format(Locale.ROOT, "%.1f", (System.nanoTime() - started) / 1e9), path);
        return factor;
    }

    /** Factors of the per-class covariances (null for a class without one), or null without classes. */
    private static CovarianceFactor[] classFactors(double[][] classSigma, int d) {
        if (classSigma == null) {
            return null;
        }
        CovarianceFactor[] factors = new CovarianceFactor[classSigma.length];
        for (int c = 0; c < classSigma.length; c++) {
            factors[c] = Double.isFinite(classSigma[c][0]) ? CovarianceFactor.of(classSigma[c], d) : null;
        }
        return factors;
    }

    private static double[] nans(int n) {
        double[] values = new double[n];
        Arrays.fill(values, Double.NaN);
        return values;
    }

    static double[] flatten(double[][] rows, int d) {
        double[] flat = new double[rows.length * d];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * d, d);
        }
        return flat;
    }

    private static double[][] rows(NpyArray array) {
        int n = (int) array.shape()[0];
        int d = (int) array.shape()[1];
        double[] flat = array.asDoubles();
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        }
        return rows;
    }
}

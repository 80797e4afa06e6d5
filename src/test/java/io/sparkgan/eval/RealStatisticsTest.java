package io.sparkgan.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.data.DatasetInfo;
import io.sparkgan.io.Npy;
import io.sparkgan.io.NpyArray;
import io.sparkgan.io.Storage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real statistics' cache: the covariance's factor is kept beside it and checked when read, and
 * statistics cached by another version of the metric code are computed again.
 */
class RealStatisticsTest {
    private static final int D = 24;

    @Test
    void theFactorIsCachedCheckedAndRewrittenWhenItDoesNotFactorTheCovariance(@TempDir Path tmp) throws Exception {
        Storage storage = Storage.local();
        String shards = tmp.toString();
        ExtractorSpec extractor = new ExtractorSpec("evaluator", "file:/e.zip", "ab".repeat(32));
        DatasetInfo info = dataset();
        RealStatistics.Reference saved = RealStatistics.save(storage, shards, info, extractor, 500, summary(1));
        Path factorFile = tmp.resolve("fid").resolve(RealStatistics.baseName(extractor, 500) + ".factor.npy");
        assertTrue(Files.exists(factorFile), "the factor is cached next to the statistics");
        assertTrue(saved.factor().worstResidualRatio(saved.sigma()) <= 1);

        RealStatistics.Reference read = RealStatistics.cached(storage, shards, info, extractor, 500, false);
        assertNotNull(read);
        assertArrayEquals(saved.factor().values(), read.factor().values(), "read back as written");

        // A factor of other statistics (an interrupted rewrite, a copied file) is caught and replaced.
        double[] other = summary(2).stats.covariance();
        CovarianceFactor wrong = CovarianceFactor.of(other, D);
        Files.write(factorFile, Npy.toBytes(NpyArray.ofDoubles(wrong.values(), D, wrong.rank())));
        RealStatistics.Reference repaired = RealStatistics.cached(storage, shards, info, extractor, 500, false);
        assertNotNull(repaired);
        assertArrayEquals(saved.factor().values(), repaired.factor().values(), "computed again from sigma");
        assertArrayEquals(saved.factor().values(), Npy.read(Files.newInputStream(factorFile)).asDoubles(),
                "and written back");

        // Statistics cached by the metric code before this version are not reused.
        Path json = tmp.resolve("fid").resolve(RealStatistics.baseName(extractor, 500) + ".json");
        String text = Files.readString(json, StandardCharsets.UTF_8);
        assertTrue(text.contains("\"metrics_version\" : " + FrechetDistance.VERSION), text);
        Files.writeString(json, text.replace("\"metrics_version\" : " + FrechetDistance.VERSION + ",", ""));
        assertNull(RealStatistics.cached(storage, shards, info, extractor, 500, false),
                "statistics without a metrics version (version 1) are computed again");
    }

    private static FeatureSummary summary(long seed) {
        Random random = new Random(seed);
        FeatureSummary summary = new FeatureSummary(D, 0);
        double[][] rows = new double[200][D];
        for (double[] row : rows) {
            for (int j = 0; j < D; j++) {
                row[j] = random.nextGaussian() * (1 + j % 3) + (j == 0 ? row[1] : 0);
            }
            summary.stats.add(row);
        }
        summary.kidRows.put(0, rows);
        return summary;
    }

    private static DatasetInfo dataset() {
        return new DatasetInfo("test", "file:/data", "fp", 200, 1, 28, List.of(), new long[0], 0, List.of(),
                "cd".repeat(32), 0, "2026-12-06T00:00:00Z", "", Map.of());
    }

    @Test
    void baseNameKeysTheExtractorAndCount() {
        assertEquals("real-evaluator-abababababab-n500",
                RealStatistics.baseName(new ExtractorSpec("evaluator", "u", "ab".repeat(32)), 500));
    }
}

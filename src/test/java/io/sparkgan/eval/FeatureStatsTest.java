package io.sparkgan.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

class FeatureStatsTest {
    private static final int D = 12;

    @Test
    void mergedPartitionsEqualOnePassAndTheTwoPassCovariance() {
        Random random = new Random(7);
        // An offset of 1000 against unit-scale spread: the naive Σxxᵀ − n·mean·meanᵀ would lose
        // about six digits here; the centred updates must not.
        double[][] rows = rows(random, 1000, 1000.0);
        List<List<double[]>> partitions = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            partitions.add(new ArrayList<>());
        }
        for (double[] row : rows) {
            partitions.get(random.nextInt(4)).add(row);
        }

        FeatureStats onePass = new FeatureStats(D);
        for (double[] row : rows) {
            onePass.add(row);
        }
        // Partitions fed as batches in the shape treeAggregate merges them: ((p0 + p1) + (p2 + p3)).
        FeatureStats[] parts = new FeatureStats[4];
        for (int p = 0; p < 4; p++) {
            parts[p] = new FeatureStats(D).add(Nd4j.createFromArray(partitions.get(p).toArray(double[][]::new)));
        }
        FeatureStats merged = parts[0].merge(parts[1]).merge(parts[2].merge(parts[3]));

        double[] mean = twoPassMean(rows);
        double[] covariance = twoPassCovariance(rows, mean);
        assertEquals(1000, merged.count());
        assertEquals(1000, onePass.count());
        assertClose(mean, onePass.mean(), 1e-12);
        assertClose(mean, merged.mean(), 1e-12);
        assertClose(covariance, onePass.covariance(), 1e-12);
        assertClose(covariance, merged.covariance(), 1e-12);
        assertClose(onePass.covariance(), merged.covariance(), 1e-12);
    }

    @Test
    void mergingWithEmptyStatisticsChangesNothing() {
        Random random = new Random(8);
        FeatureStats stats = new FeatureStats(D).add(Nd4j.createFromArray(rows(random, 50, 0)));
        double[] before = stats.covariance();
        stats.merge(new FeatureStats(D));
        FeatureStats fromEmpty = new FeatureStats(D).merge(stats);
        assertArrayEquals(before, stats.covariance());
        assertArrayEquals(before, fromEmpty.covariance());
        assertArrayEquals(stats.mean(), fromEmpty.mean());
    }

    @Test
    void floatBatchesAreReadInDouble() {
        Random random = new Random(9);
        double[][] rows = rows(random, 40, 3);
        for (double[] row : rows) {
            for (int j = 0; j < D; j++) {
                row[j] = (float) row[j];
            }
        }
        FeatureStats fromFloat = new FeatureStats(D).add(Nd4j.createFromArray(rows).castTo(DataType.FLOAT));
        FeatureStats fromDouble = new FeatureStats(D).add(Nd4j.createFromArray(rows));
        assertClose(fromDouble.covariance(), fromFloat.covariance(), 1e-13);
    }

    @Test
    void serialisedStatisticsAreThePlainArrays() throws IOException, ClassNotFoundException {
        Random random = new Random(10);
        int d = 64;
        FeatureStats stats = new FeatureStats(d);
        for (int i = 0; i < 20; i++) {
            double[] row = new double[d];
            for (int j = 0; j < d; j++) {
                row[j] = random.nextGaussian();
            }
            stats.add(row);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(stats);
        }
        int payload = 8 * (d * d + d);
        assertTrue(bytes.size() < payload + 400, "serialised size " + bytes.size() + " for " + payload + " bytes of doubles");
        FeatureStats back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (FeatureStats) in.readObject();
        }
        assertEquals(20, back.count());
        assertArrayEquals(stats.mean(), back.mean());
        assertArrayEquals(stats.covariance(), back.covariance());
    }

    @Test
    void wrongShapesAndNonFiniteValuesAreRejected() {
        FeatureStats stats = new FeatureStats(3);
        String shortRow = assertThrows(IllegalArgumentException.class, () -> stats.add(new double[] {1, 2}))
                .getMessage();
        assertTrue(shortRow.contains("has 2 values, expected 3"), shortRow);
        String wideBatch = assertThrows(IllegalArgumentException.class,
                () -> stats.add(Nd4j.zeros(DataType.DOUBLE, 5, 4))).getMessage();
        assertTrue(wideBatch.contains("[n, 3]") && wideBatch.contains("[5, 4]"), wideBatch);
        String nan = assertThrows(IllegalArgumentException.class,
                () -> stats.add(Nd4j.createFromArray(new double[][] {{1, 2, 3}, {1, Double.NaN, 3}}))).getMessage();
        assertTrue(nan.contains("column 1"), nan);
        assertThrows(IllegalArgumentException.class, () -> stats.merge(new FeatureStats(4)));
        assertEquals(0, stats.count(), "rejected input must leave the statistics untouched");
        stats.add(new double[] {1, 2, 3});
        assertThrows(IllegalStateException.class, stats::covariance);
    }

    private static double[][] rows(Random random, int n, double offset) {
        double[][] rows = new double[n][D];
        for (int i = 0; i < n; i++) {
            double shared = random.nextGaussian();
            for (int j = 0; j < D; j++) {
                rows[i][j] = offset + (j + 1) * 0.1 * random.nextGaussian() + 0.5 * shared;
            }
        }
        return rows;
    }

    private static double[] twoPassMean(double[][] rows) {
        double[] mean = new double[D];
        for (double[] row : rows) {
            for (int j = 0; j < D; j++) {
                mean[j] += row[j];
            }
        }
        for (int j = 0; j < D; j++) {
            mean[j] /= rows.length;
        }
        return mean;
    }

    private static double[] twoPassCovariance(double[][] rows, double[] mean) {
        double[] c = new double[D * D];
        for (double[] row : rows) {
            for (int i = 0; i < D; i++) {
                for (int j = 0; j < D; j++) {
                    c[i * D + j] += (row[i] - mean[i]) * (row[j] - mean[j]);
                }
            }
        }
        for (int k = 0; k < c.length; k++) {
            c[k] /= rows.length - 1;
        }
        return c;
    }

    /** Element-wise agreement relative to the largest magnitude (entries near zero have no relative scale). */
    private static void assertClose(double[] expected, double[] actual, double relative) {
        assertEquals(expected.length, actual.length);
        double scale = 0;
        for (double v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], relative * scale, "element " + i);
        }
    }
}

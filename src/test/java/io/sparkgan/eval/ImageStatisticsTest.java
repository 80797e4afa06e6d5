package io.sparkgan.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.PreparedDataset;
import io.sparkgan.data.Preparer;
import io.sparkgan.data.Shards;
import io.sparkgan.io.Storage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code fid --images}: the statistics of a folder of PNGs written by "another tool" (200 Fashion-MNIST
 * training images saved as RGB, as torchvision's save_image does with grey images) against the
 * mean and covariance of the evaluator's features of the same images computed here directly, image by
 * image, in double precision.
 */
class ImageStatisticsTest {
    private static final int N = 200;

    @TempDir
    Path tmp;

    @Test
    void theStatisticsOfAFolderOfImagesAreTheMeanAndCovarianceOfTheirFeatures() throws IOException {
        Storage storage = Storage.local();
        SparkganConfig config = ConfigLoader.load((Path) null, List.of("data.shards=" + tmp.resolve("shards"),
                "data.limit=" + N, "data.shard-size=" + 64 * 788, "fid.evaluator-epochs=1", "fid.batch=64",
                "train.workers=2"));
        PreparedDataset training = Preparer.prepare(TestSpark.context(), config.data(), storage);
        byte[] pixels = Shards.readImages(storage, training.dirPath(), training.info(), 0, N);
        Path folder = Files.createDirectories(tmp.resolve("samples"));
        for (int i = 0; i < N; i++) {
            BufferedImage rgb = new BufferedImage(28, 28, BufferedImage.TYPE_INT_RGB);
            for (int p = 0; p < 784; p++) {
                int v = pixels[i * 784 + p] & 0xff;
                rgb.setRGB(p % 28, p / 28, v << 16 | v << 8 | v);
            }
            ImageIO.write(rgb, "png", folder.resolve(String.format("sample-%05d.png", i)).toFile());
        }
        PreparedDataset images = Preparer.prepare(TestSpark.context(), config.data().forImages(folder.toString(),
                tmp.resolve("samples-prepared").toString(), "train"), storage, Duration.ofSeconds(60), true);
        assertEquals(N, images.info().count(), "every RGB sample converted to grey, none rejected");

        org.apache.hadoop.fs.Path out = Storage.qualify(tmp.resolve("samples.npz").toString());
        ImageStatistics.Saved saved = ImageStatistics.save(TestSpark.context(), storage, config, training, images, out);
        assertEquals(N, saved.count());
        assertEquals("evaluator", saved.extractor());
        FidStats stats = FidStatsFile.read(new ByteArrayInputStream(Files.readAllBytes(tmp.resolve("samples.npz"))));
        int d = stats.dimension();
        assertEquals(EvaluatorClassifier.FEATURES, d);

        // the same features, directly: the evaluator the statistics name, on the images as [-1, 1] floats
        EvaluatorClassifier evaluator = EvaluatorClassifier.fromBytes(storage.readBytes(new org.apache.hadoop.fs.Path(
                EvaluatorTrainer.cached(storage, training.dir(), training.info()).uri())));
        float[] x = new float[N * 784];
        for (int i = 0; i < x.length; i++) {
            x[i] = (pixels[i] & 0xff) / 127.5f - 1f;
        }
        INDArray features = evaluator.features(Nd4j.create(x, new long[] {N, 1, 28, 28}));
        double[][] f = new double[N][];
        for (int i = 0; i < N; i++) {
            f[i] = features.getRow(i).toDoubleVector();
        }
        double[] mu = new double[d];
        for (double[] row : f) {
            for (int k = 0; k < d; k++) {
                mu[k] += row[k] / N;
            }
        }
        double worst = 0;
        double scale = 0;
        for (int a = 0; a < d; a++) {
            assertEquals(mu[a], stats.mu()[a], 1e-5 * (1 + Math.abs(mu[a])), "mu[" + a + "]");
            for (int b = 0; b < d; b++) {
                double c = 0;
                for (double[] row : f) {
                    c += (row[a] - mu[a]) * (row[b] - mu[b]);
                }
                c /= N - 1;
                worst = Math.max(worst, Math.abs(c - stats.sigma()[a * d + b]));
                scale = Math.max(scale, Math.abs(c));
            }
        }
        assertTrue(worst <= 1e-5 * scale, "covariance off by " + worst + " of " + scale);
    }
}

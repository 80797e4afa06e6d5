package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.config.SparkganConfig;
import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.PreparedDataset;
import io.sparkgan.data.Shards;
import io.sparkgan.config.DataConfig;
import io.sparkgan.eval.EvaluatorClassifier;
import io.sparkgan.eval.FeatureExtractor;
import io.sparkgan.eval.InceptionExtractor;
import io.sparkgan.eval.FeatureStats;
import io.sparkgan.eval.FrechetDistance;
import io.sparkgan.eval.PairedMetrics;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import io.sparkgan.model.GanReplica;
import io.sparkgan.data.Preparer;
import io.sparkgan.eval.FidStage;
import io.sparkgan.io.Json;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.step.TrainingException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * pix2pix on edge → Fashion-MNIST pairs: driver and collective modes bit for bit, a resume from the
 * middle bit-identical, the other direction another run, and grids of input | output | target rows.
 */
class Pix2pixTrainingTest {
    @TempDir
    Path tmp;

    private SparkganConfig config(String runId, String... sets) {
        List<String> all = new ArrayList<>(List.of("model.architecture=pix2pix", "data.layout=aligned",
                "data.source=data-manifests/fashion-mnist-edges.conf", "data.shards=" + tmp.resolve("shards"),
                "data.image-size=16", "data.limit=64", "model.g-features=4", "model.d-features=4",
                "train.workers=2", "train.batch-per-worker=4", "train.steps=4", "train.checkpoint-every=2",
                "train.sample-every=1000", "train.sample-count=9"));
        all.addAll(Arrays.asList(sets));
        return TrainingFixtures.config(tmp, runId, all.toArray(String[]::new));
    }

    private TrainingJob.Result train(String runId, String... sets) throws IOException {
        return TrainingJob.run(config(runId, sets), TestSpark.context(), Storage.local());
    }

    /**
     * The report's figures for the last checkpoint, computed again on the driver in one batch: every
     * held-out pair through G with the stage's dropout (from the input half that data.direction names),
     * the metrics per image against the other half, the FID on {@code extractor}'s features and, when it
     * is the evaluator, its accuracy.
     */
    private void assertDirectly(SparkganConfig config, PreparedDataset dataset, JsonNode row,
                                FeatureExtractor extractor) throws IOException {
        Storage storage = Storage.local();
        boolean swapped = config.data().direction() == DataConfig.Direction.B_TO_A;
        GanArchitecture a = config.architecture(0);
        GanReplica replica = new GanReplica(a, GanLoss.NON_SATURATING, 1.0, DataType.FLOAT);
        replica.setGenerator(Checkpoint.generatorParams(storage, RunDirectory.of(config.outputDir(), config.runId())
                .checkpoint(4), true).get(0).params());
        org.apache.hadoop.fs.Path heldDir = new org.apache.hadoop.fs.Path(dataset.dir(), PreparedDataset.HELD_OUT);
        DatasetInfo held = DatasetInfo.fromJson(storage.readString(new org.apache.hadoop.fs.Path(heldDir,
                DatasetInfo.FILE)));
        int n = (int) held.count();
        int half = a.pixelsPerImage();
        Shards.Content content = Shards.readRange(storage, heldDir, held, 0, n);
        float[] pairs = TranslationGrid.normalised(content.images(), n, 2 * half, swapped);
        INDArray inputs = Nd4j.create(pairs, new long[] {n, 2, 16, 16}, 'c')
                .get(NDArrayIndex.all(), NDArrayIndex.interval(0, 1)).dup('c');
        byte[] outputs = PairedMetrics.quantised(replica.generate(inputs, null,
                TranslationGrid.inference(config.train().seed(), 0)).castTo(DataType.FLOAT).data().asFloat());
        byte[] targets = new byte[n * half];
        float[] outputFloats = new float[n * half];
        float[] targetFloats = new float[n * half];
        double l1 = 0;
        double ssim = 0;
        for (int i = 0; i < n; i++) {
            System.arraycopy(content.images(), (2 * i + (swapped ? 0 : 1)) * half, targets, i * half, half);
            l1 += PairedMetrics.l1(outputs, targets, i * half, half) / n;
            ssim += PairedMetrics.ssim(outputs, targets, i * half, 1, 16) / n;
        }
        for (int i = 0; i < n * half; i++) {
            outputFloats[i] = (outputs[i] & 0xff) / 127.5f - 1f;
            targetFloats[i] = (targets[i] & 0xff) / 127.5f - 1f;
        }
        assertEquals(l1, row.path("l1").asDouble(), 1e-5 * l1);
        assertEquals(ssim, row.path("ssim").asDouble(), 1e-5);
        long[] shape = {n, 1, 16, 16};
        FeatureStats o = new FeatureStats(extractor.featureDim()).add(
                extractor.features(Nd4j.create(outputFloats, shape, 'c')));
        FeatureStats t = new FeatureStats(extractor.featureDim()).add(
                extractor.features(Nd4j.create(targetFloats, shape, 'c')));
        double fid = FrechetDistance.of(o.toFidStats(), t.toFidStats());
        assertEquals(fid, row.path("fid").asDouble(), 1e-4 * fid, "FID of the outputs against the targets");
        if (!(extractor instanceof EvaluatorClassifier evaluator)) {
            assertTrue(row.path("accuracy").isMissingNode(), "no classes without the evaluator: " + row);
            return;
        }
        EvaluatorClassifier.Output out = evaluator.featuresAndClasses(Nd4j.create(outputFloats, shape, 'c'));
        long correct = 0;
        for (int i = 0; i < n; i++) {
            correct += out.classes()[i] == content.labels()[i] ? 1 : 0;
        }
        assertEquals((double) correct / n, row.path("accuracy").asDouble(), 1e-12, "the evaluator's accuracy");
    }

    private static EvaluatorClassifier evaluator(PreparedDataset dataset, String half) throws IOException {
        return EvaluatorClassifier.fromBytes(Files.readAllBytes(
                Path.of(java.net.URI.create(dataset.dir() + "/fid/evaluator-" + half + ".zip"))));
    }

    @Test
    void trainsTheSameBitsInBothModesAndOnResume() throws IOException {
        TrainingJob.Result driver = train("driver", "train.sync=driver");
        TrainingJob.Result collective = train("collective", "train.sync=collective");
        assertEquals(driver.generatorSha256(), collective.generatorSha256());
        assertEquals(driver.discriminatorSha256(), collective.discriminatorSha256());

        train("resumed", "train.sync=collective", "train.steps=2");
        Files.delete(tmp.resolve("resumed/_SUCCESS"));
        TrainingException flipped = assertThrows(TrainingException.class, () -> train("resumed", "data.direction=BtoA"));
        assertTrue(flipped.getMessage().contains("was trained with data.direction = AtoB, and BtoA is configured now"),
                flipped.getMessage());
        TrainingJob.Result resumed = train("resumed", "train.sync=driver");
        assertEquals(driver.generatorSha256(), resumed.generatorSha256());
        assertEquals(driver.discriminatorSha256(), resumed.discriminatorSha256());

        TrainingJob.Result streamed = train("streamed", "data.cache=stream");
        assertEquals(driver.generatorSha256(), streamed.generatorSha256(), "pairs streamed in the same order");

        TrainingJob.Result reversed = train("reversed", "data.direction=BtoA");
        assertNotEquals(driver.generatorSha256(), reversed.generatorSha256(), "BtoA maps images to sketches");

        List<String> lines = Files.readAllLines(tmp.resolve("driver/metrics.jsonl"));
        double gLoss = Json.parse(lines.get(lines.size() - 1)).path("g_loss").asDouble();
        assertTrue(gLoss > 1, "G's loss holds λ·L1 (λ = 100): " + gLoss);

        SparkganConfig config = config("driver", "train.sync=driver");
        PreparedDataset dataset = Preparer.prepare(TestSpark.context(), config.data(), Storage.local());
        RunDirectory driverRun = RunDirectory.of(config.outputDir(), config.runId());
        FidStage.run(TestSpark.context(), Storage.local(), config, dataset, driverRun, List.of(2L, 4L));
        JsonNode report = Json.parse(Files.readString(tmp.resolve("driver/fid/report.json")));
        assertEquals("translation", report.path("kind").asText());
        assertEquals("test", report.path("held_out").path("split").asText());
        assertEquals(64, report.path("held_out").path("pairs").asLong(), "the test split, limited as the training one");
        JsonNode last = report.path("checkpoints").get(1);
        assertEquals(4, last.path("step").asLong());
        assertEquals(64, last.path("pairs").asLong());
        assertTrue(last.path("l1").asDouble() > 0 && last.path("l1").asDouble() < 1, last.toString());
        assertTrue(last.path("ssim").asDouble() > -1 && last.path("ssim").asDouble() < 1, last.toString());
        assertTrue(last.path("psnr").asDouble() > 0 && last.path("psnr").asDouble() < 60, last.toString());
        assertTrue(Files.readString(tmp.resolve("driver/fid/report.html"))
                .contains("input | output | target for the first held-out pairs"));
        assertEquals("evaluator", report.path("extractor").path("name").asText());
        assertTrue(report.path("extractor").path("uri").asText().endsWith("fid/evaluator-B.zip"), report.toString());
        assertDirectly(config, dataset, last, evaluator(dataset, "B"));

        // scored again with the same settings: nothing computed, the report as it was
        String scored = Files.readString(tmp.resolve("driver/fid/report.json"));
        FidStage.run(TestSpark.context(), Storage.local(), config, dataset, driverRun, List.of(2L, 4L));
        assertEquals(scored, Files.readString(tmp.resolve("driver/fid/report.json")), "the earlier rows reused");

        // with fid.extractor = inception (a tiny stand-in here), what gives an unlabelled dataset its FID:
        // the FID on its features, no accuracy
        String weights = Path.of(getClass().getResource("/eval/tiny_inception_notop.h5").getFile()).toString();
        SparkganConfig inception = config("driver", "train.sync=driver", "fid.extractor=inception",
                "fid.inception-weights=" + weights);
        FidStage.run(TestSpark.context(), Storage.local(), inception, dataset, driverRun, List.of(4L));
        JsonNode byInception = Json.parse(Files.readString(tmp.resolve("driver/fid/report.json")));
        assertEquals("inception", byInception.path("extractor").path("name").asText());
        assertEquals(1, byInception.path("checkpoints").size(), "the rows asked for");
        assertDirectly(inception, dataset, byInception.path("checkpoints").get(0),
                InceptionExtractor.fromLocation(weights, Storage.local()));

        // BtoA: G maps the B half, is scored against the A half, by the evaluator of A
        SparkganConfig reversedConfig = config("reversed", "data.direction=BtoA");
        FidStage.run(TestSpark.context(), Storage.local(), reversedConfig, dataset,
                RunDirectory.of(reversedConfig.outputDir(), reversedConfig.runId()), List.of(4L));
        JsonNode byA = Json.parse(Files.readString(tmp.resolve("reversed/fid/report.json")));
        assertEquals("BtoA", byA.path("direction").asText());
        assertDirectly(reversedConfig, dataset, byA.path("checkpoints").get(0), evaluator(dataset, "A"));

        // 4 pairs (sample-count / 2) of input | output | target, 2 a row; 16-pixel images, 2-pixel borders
        BufferedImage grid = ImageIO.read(tmp.resolve("driver/samples/step-00000000.png").toFile());
        assertEquals(6 * 18 + 2, grid.getWidth());
        assertEquals(2 * 18 + 2, grid.getHeight());
    }
}

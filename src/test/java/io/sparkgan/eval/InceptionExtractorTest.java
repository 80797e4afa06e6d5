package io.sparkgan.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.data.Hashes;
import io.sparkgan.io.Storage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class InceptionExtractorTest {

    // ---- missing weights: the message says which file, which key, and how to make it ----

    @Test
    void unsetWeightsKeyNamesTheKeyAndTheFileToMake() {
        EvaluationException e = assertThrows(EvaluationException.class,
                () -> InceptionExtractor.fromLocation("  ", Storage.local()));
        assertNamesKeyAndHowToMake(e.getMessage());
        assertTrue(e.getMessage().contains("fid.inception-weights is not set"), e.getMessage());
    }

    @Test
    void weightsFileNotFoundNamesThePath(@TempDir Path dir) {
        String location = dir.resolve("models/inception_v3.h5").toString();
        EvaluationException e = assertThrows(EvaluationException.class,
                () -> InceptionExtractor.fromLocation(location, Storage.local()));
        assertNamesKeyAndHowToMake(e.getMessage());
        assertTrue(e.getMessage().contains(location), e.getMessage());
        EvaluationException local = assertThrows(EvaluationException.class,
                () -> InceptionExtractor.load(Path.of(location)));
        assertNamesKeyAndHowToMake(local.getMessage());
        assertTrue(local.getMessage().contains(location), local.getMessage());
    }

    @Test
    void emptyWeightsFileIsReportedAsEmpty(@TempDir Path dir) throws Exception {
        Path empty = Files.createFile(dir.resolve("inception_v3.h5"));
        EvaluationException e = assertThrows(EvaluationException.class,
                () -> InceptionExtractor.fromLocation(empty.toUri().toString(), Storage.local()));
        assertNamesKeyAndHowToMake(e.getMessage());
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void fileThatIsNotKerasIsReportedWithTheKey(@TempDir Path dir) throws Exception {
        Path junk = Files.writeString(dir.resolve("inception_v3.h5"), "not an HDF5 file");
        EvaluationException e = assertThrows(EvaluationException.class, () -> InceptionExtractor.load(junk));
        assertNamesKeyAndHowToMake(e.getMessage());
        assertTrue(e.getMessage().contains(junk.toString()), e.getMessage());
    }

    private static void assertNamesKeyAndHowToMake(String message) {
        assertTrue(message.contains("fid.inception-weights"), message);
        assertTrue(message.contains("inception_v3.h5"), message);
        assertTrue(message.contains("tf.keras.applications.InceptionV3(include_top=False, pooling='avg', "
                + "input_shape=(299,299,3)).save('inception_v3.h5')"), message);
    }

    // ---- preprocessing: half-pixel bilinear resize, grey to RGB, layout ----

    @Test
    void referenceResizeMatchesHandComputedHalfPixelValues() {
        // torch.nn.functional.interpolate(x, size=4, mode='bilinear', align_corners=False) of [[0,1],[2,3]]
        double[][] expected = {
                {0.0, 0.25, 0.75, 1.0},
                {0.5, 0.75, 1.25, 1.5},
                {1.5, 1.75, 2.25, 2.5},
                {2.0, 2.25, 2.75, 3.0}};
        double[][] got = bilinear(new double[][] {{0, 1}, {2, 3}}, 4, 4);
        for (int y = 0; y < 4; y++) {
            assertArrayEquals(expected[y], got[y], 1e-12);
        }
    }

    @Test
    void greyImagesAreResizedWithHalfPixelBilinearAndRepeatedToRgb() {
        INDArray grey = randomImages(2, 1, 28, 28, 1);
        INDArray input = InceptionInput.of(grey, 299, 299, true);
        assertArrayEquals(new long[] {2, 299, 299, 3}, input.shape());
        assertEquals(DataType.FLOAT, input.dataType());
        for (int n = 0; n < 2; n++) {
            double[][] expected = bilinear(plane(grey, n, 0), 299, 299);
            for (int c = 0; c < 3; c++) {
                assertPlaneEquals(expected, nhwcPlane(input, n, c), 1e-5, "image " + n + " channel " + c);
            }
            // the conventions this must not be: they differ by far more than the tolerance
            assertTrue(maxDifference(cornerAligned(plane(grey, n, 0), 299, 299), expected) > 0.05);
            assertTrue(maxDifference(asymmetric(plane(grey, n, 0), 299, 299), expected) > 0.05);
        }
    }

    @Test
    void rgbImagesKeepTheirChannelsAndNonSquareSourcesTheirAxes() {
        INDArray rgb = randomImages(2, 3, 5, 7, 2); // height 5, width 7
        INDArray nhwc = InceptionInput.of(rgb, 11, 11, true);
        INDArray nchw = InceptionInput.of(rgb, 11, 11, false);
        assertArrayEquals(new long[] {2, 11, 11, 3}, nhwc.shape());
        assertArrayEquals(new long[] {2, 3, 11, 11}, nchw.shape());
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                double[][] expected = bilinear(plane(rgb, n, c), 11, 11);
                assertPlaneEquals(expected, nhwcPlane(nhwc, n, c), 1e-5, "NHWC image " + n + " channel " + c);
                assertPlaneEquals(expected, plane(nchw, n, c), 1e-5, "NCHW image " + n + " channel " + c);
            }
        }
    }

    @Test
    void downscalingAlsoUsesHalfPixelCentres() {
        INDArray big = randomImages(1, 3, 320, 320, 3);
        INDArray input = InceptionInput.of(big, 299, 299, true);
        // libnd4j computes the source coordinate in float: up to ~1e-5 off here at coordinates near 320
        for (int c = 0; c < 3; c++) {
            assertPlaneEquals(bilinear(plane(big, 0, c), 299, 299), nhwcPlane(input, 0, c), 1e-4, "channel " + c);
        }
    }

    // ---- the Keras import path, with tiny stand-ins written by src/test/resources/eval/make_tiny_inception_h5.py ----

    @Test
    void includeTopModelGivesAvgPoolFeaturesNotPredictions() throws Exception {
        Path h5 = resource("tiny_inception_top.h5");
        InceptionExtractor extractor = InceptionExtractor.load(h5);
        assertEquals("inception", extractor.name());
        assertEquals("avg_pool", extractor.featureVertex());
        assertTrue(extractor.usesNativeOps());
        assertEquals(TinyInceptionModel.FILTERS, extractor.featureDim());
        assertEquals(Hashes.sha256Hex(Files.readAllBytes(h5)), extractor.contentHash());

        INDArray images = variedImages(8, 1, 28, 28, 4);
        assertFeaturesMatchHandComputation(extractor, images);

        // its classifier, for the Inception Score: the model's own predictions, from the pool3 features
        assertTrue(extractor.hasClassifier());
        INDArray probabilities = extractor.probabilities(extractor.features(images));
        INDArray predictions = extractor.viaComputationGraph(images, InceptionExtractor.CLASSIFIER_LAYER)
                .castTo(DataType.DOUBLE);
        assertArrayEquals(predictions.shape(), probabilities.shape());
        assertTrue(probabilities.sub(predictions).amaxNumber().doubleValue() < 1e-5,
                "the classifier head as DL4J runs it");
        assertEquals(8.0, probabilities.sumNumber().doubleValue(), 1e-9, "each row is a distribution");
        assertEquals(0, InceptionExtractor.load(resource("tiny_inception_notop.h5")).classifierClasses(),
                "include_top=False: no IS");
    }

    @Test
    void poolingOutputModelViaStorageGivesTheSameFeaturesInChunks() throws Exception {
        Path h5 = resource("tiny_inception_notop.h5");
        InceptionExtractor extractor = InceptionExtractor.fromLocation(h5.toUri().toString(), Storage.local());
        assertEquals("global_average_pooling2d", extractor.featureVertex());
        assertEquals(TinyInceptionModel.FILTERS, extractor.featureDim());
        assertNotEquals(InceptionExtractor.load(resource("tiny_inception_top.h5")).contentHash(),
                extractor.contentHash());

        // more than one chunk, the last one partial; RGB at a GAN's usual size
        INDArray images = variedImages(InceptionExtractor.CHUNK + 3, 3, 16, 16, 5);
        assertFeaturesMatchHandComputation(extractor, images);
    }

    @Test
    void wholeInceptionV3GraphRunsOnNativeOpsAsDl4jLayersComputeIt() throws Exception {
        // InceptionV3's layer graph (every layer type, kernel shape, padding and merge), 3% as wide
        InceptionExtractor extractor = InceptionExtractor.load(resource("narrow_inception_v3.h5"));
        assertTrue(extractor.usesNativeOps(), "translated to SameDiff");
        assertEquals("global_average_pooling2d", extractor.featureVertex());
        assertEquals(10 + 2 * 12 + 2 * 12 + 6, extractor.featureDim()); // mixed9's four branches, 3% of 2048

        INDArray images = variedImages(5, 1, 28, 28, 6);
        INDArray fast = extractor.features(images);
        INDArray layers = extractor.viaComputationGraph(images).castTo(DataType.DOUBLE);
        assertArrayEquals(layers.shape(), fast.shape());
        double scale = layers.amaxNumber().doubleValue();
        assertTrue(scale > 0.1, "features are not all zero: " + scale);
        double difference = fast.sub(layers).amaxNumber().doubleValue();
        assertTrue(difference < 1e-5 * Math.max(1, scale), "native ops and DL4J layers differ by " + difference);
        assertTrue(fast.getRow(0).sub(fast.getRow(1)).amaxNumber().doubleValue() > 1e-3, "images get different features");
    }

    @Test
    void wholeInceptionV3GraphMatchesKerasSemanticsComputedIndependently() throws Exception {
        // expected values: src/test/resources/eval/keras_reference_features.py, numpy with TensorFlow's
        // padding and average-pooling rules, on a fixed 299×299 pattern (no resize involved)
        String[] lines = Files.readString(resource("narrow_inception_v3_features.txt")).split("\n");
        String[] numbers = lines[1].trim().split(" ");
        InceptionExtractor extractor = InceptionExtractor.load(resource("narrow_inception_v3.h5"));
        assertEquals(numbers.length, extractor.featureDim());

        float[] values = new float[3 * 299 * 299];
        for (int c = 0; c < 3; c++) {
            for (int h = 0; h < 299; h++) {
                for (int w = 0; w < 299; w++) {
                    values[(c * 299 + h) * 299 + w] = (float) (0.9 * Math.sin(0.05 * (c + 1) * h + 0.3 * c)
                            * Math.cos(0.07 * w - 0.2 * c));
                }
            }
        }
        INDArray image = Nd4j.create(values, new long[] {1, 3, 299, 299}, DataType.FLOAT);
        INDArray nativeOps = extractor.features(image);
        INDArray layers = extractor.viaComputationGraph(image);
        for (int f = 0; f < numbers.length; f++) {
            double expected = Double.parseDouble(numbers[f]);
            assertEquals(expected, nativeOps.getDouble(0, f), 1e-4, "native ops, feature " + f);
            assertEquals(expected, layers.getDouble(0, f), 1e-4, "DL4J layers, feature " + f);
        }
    }

    private static void assertFeaturesMatchHandComputation(InceptionExtractor extractor, INDArray images)
            throws Exception {
        TinyInceptionModel model = TinyInceptionModel.read(resource("tiny_inception_weights.txt"));
        INDArray features = extractor.features(images);
        assertEquals(DataType.DOUBLE, features.dataType());
        assertArrayEquals(new long[] {images.size(0), TinyInceptionModel.FILTERS}, features.shape());
        for (int n = 0; n < images.size(0); n++) {
            double[][][] rgb = new double[3][][];
            for (int c = 0; c < 3; c++) {
                rgb[c] = bilinear(plane(images, n, images.size(1) == 1 ? 0 : c), 299, 299);
            }
            double[] expected = model.features(rgb);
            for (int f = 0; f < TinyInceptionModel.FILTERS; f++) {
                assertEquals(expected[f], features.getDouble(n, f), 1e-4, "image " + n + " feature " + f);
            }
        }
        // not a vacuous match: every unit is active on some image, and tells the images apart
        for (int f = 0; f < TinyInceptionModel.FILTERS; f++) {
            INDArray column = features.getColumn(f);
            assertTrue(column.maxNumber().doubleValue() > 0.05, "feature " + f + ": " + column);
            assertTrue(column.maxNumber().doubleValue() - column.minNumber().doubleValue() > 0.01,
                    "feature " + f + ": " + column);
        }
    }

    // ---- helpers ----

    /**
     * Bilinear resize with half-pixel centres and no corner alignment, as pytorch's
     * {@code interpolate(mode='bilinear', align_corners=False)}: the source coordinate of output pixel
     * d is (d + 0.5) · in / out − 0.5, clamped at 0 below, its neighbours clamped at in − 1 above.
     */
    static double[][] bilinear(double[][] src, int outH, int outW) {
        int inH = src.length;
        int inW = src[0].length;
        double[][] out = new double[outH][outW];
        for (int y = 0; y < outH; y++) {
            double sy = Math.max(0, (y + 0.5) * inH / outH - 0.5);
            int y0 = (int) Math.floor(sy);
            int y1 = Math.min(y0 + 1, inH - 1);
            double ly = sy - y0;
            for (int x = 0; x < outW; x++) {
                double sx = Math.max(0, (x + 0.5) * inW / outW - 0.5);
                int x0 = (int) Math.floor(sx);
                int x1 = Math.min(x0 + 1, inW - 1);
                double lx = sx - x0;
                out[y][x] = (1 - ly) * ((1 - lx) * src[y0][x0] + lx * src[y0][x1])
                        + ly * ((1 - lx) * src[y1][x0] + lx * src[y1][x1]);
            }
        }
        return out;
    }

    /** align_corners=True: source = dst · (in − 1) / (out − 1). */
    private static double[][] cornerAligned(double[][] src, int outH, int outW) {
        return bilinearAt(src, outH, outW, true);
    }

    /** TF1's default (neither option): source = dst · in / out. */
    private static double[][] asymmetric(double[][] src, int outH, int outW) {
        return bilinearAt(src, outH, outW, false);
    }

    private static double sourceCoordinate(boolean alignCorners, int dst, int in, int out) {
        return alignCorners ? dst * (in - 1.0) / (out - 1.0) : dst * (double) in / out;
    }

    private static double[][] bilinearAt(double[][] src, int outH, int outW, boolean alignCorners) {
        int inH = src.length;
        int inW = src[0].length;
        double[][] out = new double[outH][outW];
        for (int y = 0; y < outH; y++) {
            double sy = sourceCoordinate(alignCorners, y, inH, outH);
            int y0 = (int) Math.floor(sy);
            int y1 = Math.min(y0 + 1, inH - 1);
            for (int x = 0; x < outW; x++) {
                double sx = sourceCoordinate(alignCorners, x, inW, outW);
                int x0 = (int) Math.floor(sx);
                int x1 = Math.min(x0 + 1, inW - 1);
                out[y][x] = (1 - (sy - y0)) * ((1 - (sx - x0)) * src[y0][x0] + (sx - x0) * src[y0][x1])
                        + (sy - y0) * ((1 - (sx - x0)) * src[y1][x0] + (sx - x0) * src[y1][x1]);
            }
        }
        return out;
    }

    private static double maxDifference(double[][] a, double[][] b) {
        double max = 0;
        for (int y = 0; y < a.length; y++) {
            for (int x = 0; x < a[y].length; x++) {
                max = Math.max(max, Math.abs(a[y][x] - b[y][x]));
            }
        }
        return max;
    }

    /** Images in [-1, 1], NCHW float, as the training data is. */
    private static INDArray randomImages(int n, int channels, int h, int w, long seed) {
        Random random = new Random(seed);
        float[] values = new float[n * channels * h * w];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat() * 2 - 1;
        }
        return Nd4j.create(values, new long[] {n, channels, h, w}, DataType.FLOAT);
    }

    /** Images in [-1, 1] whose brightness and contrast differ, so that their mean features differ. */
    private static INDArray variedImages(int n, int channels, int h, int w, long seed) {
        Random random = new Random(seed);
        float[] values = new float[n * channels * h * w];
        int perImage = channels * h * w;
        for (int i = 0; i < n; i++) {
            float offset = random.nextFloat() - 0.5f;
            float amplitude = 0.1f + 0.4f * random.nextFloat();
            for (int j = 0; j < perImage; j++) {
                values[i * perImage + j] = offset + amplitude * (random.nextFloat() * 2 - 1);
            }
        }
        return Nd4j.create(values, new long[] {n, channels, h, w}, DataType.FLOAT);
    }

    private static double[][] plane(INDArray nchw, int n, int c) {
        int h = (int) nchw.size(2);
        int w = (int) nchw.size(3);
        double[][] p = new double[h][w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                p[y][x] = nchw.getDouble(n, c, y, x);
            }
        }
        return p;
    }

    private static double[][] nhwcPlane(INDArray nhwc, int n, int c) {
        return plane(nhwc.permute(0, 3, 1, 2), n, c);
    }

    private static void assertPlaneEquals(double[][] expected, double[][] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + ": height");
        for (int y = 0; y < expected.length; y++) {
            for (int x = 0; x < expected[y].length; x++) {
                if (Math.abs(expected[y][x] - actual[y][x]) > tolerance) {
                    throw new AssertionError(what + " at (" + y + ", " + x + "): expected " + expected[y][x]
                            + ", got " + actual[y][x]);
                }
            }
        }
    }

    private static Path resource(String name) throws Exception {
        return Path.of(InceptionExtractorTest.class.getResource("/eval/" + name).toURI());
    }
}

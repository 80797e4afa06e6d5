package io.sparkgan.train;

import io.sparkgan.data.ShardReader;
import io.sparkgan.io.Png;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanReplica;
import io.sparkgan.model.networks.Styling;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A translation run's sample grid: input | output | target for each of fixed pairs (the first
 * of a split), so that grids of different steps show the same inputs. G runs as it does for {@code
 * translate}: with dropout (the paper's test-time noise) drawn from the run's seed and the pair's row.
 */
public final class TranslationGrid {
    /** The step no training round has, whose dropout draws inference takes. */
    public static final long INFERENCE_STEP = -1;

    private TranslationGrid() {
    }

    /** How G runs outside training: dropout from (seed, the inference step, slot). */
    public static Styling inference(long seed, long firstSlot) {
        return Styling.training(new Styling.Draws(seed, INFERENCE_STEP, 0, firstSlot), 0);
    }

    /**
     * The first {@code count} pairs {@code reader} reads (those of its first shard), input first, as
     * [count, 2C, side, side] in [-1, 1]; {@code swapped} reads B as the input (data.direction = BtoA).
     */
    public static float[] firstPairs(ShardReader reader, int count, boolean swapped) throws IOException {
        int n = (int) Math.min(count, reader.shardCounts()[0]);
        int pixels = reader.pixelsPerImage();
        byte[] bytes = new byte[n * pixels];
        reader.read(0, 0, n, bytes, new int[n], 0);
        return normalised(bytes, n, pixels, swapped);
    }

    /** uint8 pairs as floats in [-1, 1], halves swapped when {@code swapped}. */
    public static float[] normalised(byte[] pairs, int n, int pixels, boolean swapped) {
        float[] out = new float[n * pixels];
        int half = pixels / 2;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < pixels; j++) {
                int from = swapped ? (j + half) % pixels : j;
                out[i * pixels + j] = (pairs[i * pixels + from] & 0xff) / 127.5f - 1f;
            }
        }
        return out;
    }

    /** The grid of {@code generator}'s outputs for {@code pairs} at {@code step}, as PNG bytes. */
    public static byte[] png(GanReplica replica, float[] generator, float[] pairs, long seed, String runId, long step) {
        GanArchitecture a = replica.architecture();
        int perImage = a.pixelsPerImage();
        int n = pairs.length / (2 * perImage);
        replica.setGenerator(generator);
        INDArray both = Nd4j.create(pairs, new long[] {n, 2L * a.channels(), a.imageSize(), a.imageSize()}, 'c');
        INDArray inputs = both.get(NDArrayIndex.all(),
                NDArrayIndex.interval(0, a.channels())).dup('c');
        float[] outputs = replica.generate(inputs, null, inference(seed, 0)).castTo(DataType.FLOAT).data().asFloat();
        float[] grid = new float[3 * n * perImage];
        for (int i = 0; i < n; i++) {
            System.arraycopy(pairs, 2 * i * perImage, grid, 3 * i * perImage, perImage);
            System.arraycopy(outputs, i * perImage, grid, (3 * i + 1) * perImage, perImage);
            System.arraycopy(pairs, (2 * i + 1) * perImage, grid, (3 * i + 2) * perImage, perImage);
        }
        int perRow = (int) Math.ceil(Math.sqrt(n / 3.0)); // triplets a row: about as wide as it is high
        Map<String, String> marks = new LinkedHashMap<>(Png.syntheticMarks(runId, step));
        marks.put("sparkgan:grid", "input | output | target, " + perRow + " a row");
        return Png.encode(Png.grid(grid, 3 * n, a.channels(), a.imageSize(), 3 * perRow), marks);
    }
}

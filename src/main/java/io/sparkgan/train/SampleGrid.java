package io.sparkgan.train;

import io.sparkgan.io.Png;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanReplica;
import io.sparkgan.model.Noise;
import io.sparkgan.model.NoiseMode;
import io.sparkgan.model.networks.StyleGan2;
import io.sparkgan.model.networks.Styling;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A run's sample grid: {@code train.sample-count} images from the run's fixed noise, so that grids of
 * different steps show the same latent vectors. Written while training ({@code samples/}) and into
 * FID reports; marked synthetic. A conditional GAN's grid has one row per class, each row the same
 * √(sample-count) latent vectors, so a column shows one z across the classes.
 */
public final class SampleGrid {
    private SampleGrid() {
    }

    /** The grid of {@code generator}'s images at {@code step}, as PNG bytes. */
    public static byte[] png(GanReplica replica, float[] generator, long seed, int count, String runId, long step) {
        GanArchitecture a = replica.architecture();
        replica.setGenerator(generator);
        if (!a.conditional()) {
            float[] noise = Noise.sampleGrid(seed, count, a.latentDim());
            float[] images = replica.generate(Nd4j.create(noise, new long[] {count, a.latentDim()}, DataType.FLOAT))
                    .castTo(DataType.FLOAT).data().asFloat();
            return Png.encode(Png.grid(images, count, a.channels(), a.imageSize()), marks(a, runId, step));
        }
        int columns = (int) Math.round(Math.sqrt(count));
        int total = columns * a.classes();
        float[] columnNoise = Noise.sampleGrid(seed, columns, a.latentDim());
        float[] noise = new float[total * a.latentDim()];
        int[] classes = new int[total];
        for (int i = 0; i < total; i++) {
            System.arraycopy(columnNoise, (i % columns) * a.latentDim(), noise, i * a.latentDim(), a.latentDim());
            classes[i] = i / columns;
        }
        float[] images = replica.generate(Nd4j.create(noise, new long[] {total, a.latentDim()}, DataType.FLOAT),
                classes).castTo(DataType.FLOAT).data().asFloat();
        return Png.encode(Png.grid(images, total, a.channels(), a.imageSize(), columns), marks(a, runId, step));
    }

    /** The synthetic-content marks, and for a style-based G the noise it was drawn with (the constant buffers). */
    private static Map<String, String> marks(GanArchitecture a, String runId, long step) {
        Map<String, String> marks = new LinkedHashMap<>(Png.syntheticMarks(runId, step));
        if (a.family() == GanArchitecture.Family.STYLEGAN2) {
            marks.put("sparkgan:noise_mode", NoiseMode.CONST.key());
        }
        return marks;
    }

    /** Sources on each side of the style-mixing grid. */
    static final int MIXING_SOURCES = 4;

    /**
     * StyleGAN's style-mixing figure (Karras et al. 2019, figure 3) for a style-based G: the top row's
     * images and the left column's are from the run's grid noise (slots 4–7 and 0–3), and the cell of row i
     * and column j takes its first num_ws/2 style inputs (the coarse resolutions) from row i's w and the
     * rest from column j's. Constant noise; a conditional G draws class 0 throughout.
     */
    public static byte[] styleMixing(GanReplica replica, float[] generator, long seed, String runId, long step) {
        GanArchitecture a = replica.architecture();
        replica.setGenerator(generator);
        int n = MIXING_SOURCES;
        int latent = a.latentDim();
        float[] sources = Noise.sampleGrid(seed, 2 * n, latent);
        float[] rows = new float[n * n * latent];
        float[] columns = new float[n * n * latent];
        for (int i = 0; i < n * n; i++) {
            System.arraycopy(sources, (i / n) * latent, rows, i * latent, latent);
            System.arraycopy(sources, (n + i % n) * latent, columns, i * latent, latent);
        }
        int[] classes = a.conditional() ? new int[n * n] : null;
        int crossover = StyleGan2.styleInputs(a) / 2;
        INDArray cells = replica.generate(Nd4j.create(rows, new long[] {n * n, latent}, DataType.FLOAT), classes,
                new Styling(NoiseMode.CONST, null, 0, Nd4j.create(columns, new long[] {n * n, latent}, DataType.FLOAT),
                        crossover, 1));
        INDArray all = replica.generate(Nd4j.create(sources, new long[] {2 * n, latent}, DataType.FLOAT),
                a.conditional() ? new int[2 * n] : null);
        int perImage = a.pixelsPerImage();
        float[] source = all.castTo(DataType.FLOAT).data().asFloat();
        float[] cell = cells.castTo(DataType.FLOAT).data().asFloat();
        float[] grid = new float[(n + 1) * (n + 1) * perImage]; // the top-left corner stays mid-grey
        for (int r = 0; r <= n; r++) {
            for (int c = 0; c <= n; c++) {
                int at = (r * (n + 1) + c) * perImage;
                if (r == 0 && c > 0) {
                    System.arraycopy(source, (n + c - 1) * perImage, grid, at, perImage);
                } else if (r > 0 && c == 0) {
                    System.arraycopy(source, (r - 1) * perImage, grid, at, perImage);
                } else if (r > 0) {
                    System.arraycopy(cell, ((r - 1) * n + c - 1) * perImage, grid, at, perImage);
                }
            }
        }
        Map<String, String> marks = marks(a, runId, step);
        marks.put("sparkgan:style_mixing", "rows: styles 0-" + (crossover - 1) + "; columns: styles " + crossover
                + "-" + (2 * crossover - 1));
        return Png.encode(Png.grid(grid, (n + 1) * (n + 1), a.channels(), a.imageSize(), n + 1), marks);
    }
}

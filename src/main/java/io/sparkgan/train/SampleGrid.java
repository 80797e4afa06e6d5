package io.sparkgan.train;

import io.sparkgan.io.Png;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanReplica;
import io.sparkgan.model.Noise;
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
            return Png.encode(Png.grid(images, count, a.channels(), a.imageSize()), Png.syntheticMarks(runId, step));
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
        return Png.encode(Png.grid(images, total, a.channels(), a.imageSize(), columns),
                Png.syntheticMarks(runId, step));
    }
}

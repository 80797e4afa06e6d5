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
 * FID reports; marked synthetic.
 */
public final class SampleGrid {
    private SampleGrid() {
    }

    /** The grid of {@code generator}'s images at {@code step}, as PNG bytes. */
    public static byte[] png(GanReplica replica, float[] generator, long seed, int count, String runId, long step) {
        GanArchitecture a = replica.architecture();
        float[] noise = Noise.sampleGrid(seed, count, a.latentDim());
        replica.setGenerator(generator);
        float[] images = replica.generate(Nd4j.create(noise, new long[] {count, a.latentDim()}, DataType.FLOAT))
                .castTo(DataType.FLOAT).data().asFloat();
        return Png.encode(Png.grid(images, count, a.channels(), a.imageSize()), Png.syntheticMarks(runId, step));
    }
}

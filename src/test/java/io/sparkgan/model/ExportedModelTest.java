package io.sparkgan.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The saved generator and discriminator load with plain SameDiff and compute what the replica does. */
class ExportedModelTest {
    @Test
    void savedGeneratorAndDiscriminatorLoadWithPlainSameDiff() {
        GanArchitecture a = new GanArchitecture(28, 1, 100, 16, 16, Normalisation.BATCH, Normalisation.BATCH);
        GanReplica replica = new GanReplica(a, GanLoss.NON_SATURATING, 1.0, DataType.FLOAT);
        float[] g = replica.generatorLayout().initialise(7);
        float[] d = replica.discriminatorLayout().initialise(8);
        replica.setGenerator(g);
        INDArray z = Nd4j.randn(DataType.FLOAT, 16, 100);
        INDArray expected = replica.generate(z);

        SameDiff loadedG = SameDiff.load(new ByteArrayInputStream(save(GraphExport.generator(replica, Nd4j.createFromArray(g)))), false);
        INDArray images = loadedG.output(Map.of("z", z), "images").get("images");
        assertArrayEquals(new long[] {16, 1, 28, 28}, images.shape());
        assertArrayEquals(expected.data().asFloat(), images.data().asFloat(), 1e-6f);

        SameDiff loadedD = SameDiff.load(new ByteArrayInputStream(save(GraphExport.discriminator(replica, Nd4j.createFromArray(d)))), false);
        INDArray logits = loadedD.output(Map.of("images", images), "logits").get("logits");
        assertArrayEquals(new long[] {16, 1}, logits.shape());
        assertEquals(16, logits.length());
    }

    private static byte[] save(SameDiff graph) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        graph.save(out, false);
        return out.toByteArray();
    }
}

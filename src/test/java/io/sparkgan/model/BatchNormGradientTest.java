package io.sparkgan.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Batch norm's gradient in plain Java against libnd4j's own {@code batchnorm_bp}, an independent
 * implementation of the same formula, at the shapes DCGAN's layers have ({@link GradientCheckTest}
 * holds the whole backward pass to finite differences).
 */
class BatchNormGradientTest {

    @ParameterizedTest(name = "{0}: [{1}, {2}, {3}, {3}]")
    @CsvSource({"FLOAT, 16, 256, 4, 1e-5", "FLOAT, 16, 32, 32, 1e-5", "FLOAT, 3, 7, 5, 1e-5",
            "DOUBLE, 8, 64, 16, 1e-12", "DOUBLE, 2, 3, 2, 1e-12"})
    void agreesWithLibnd4jsKernel(DataType dtype, int n, int channels, int side, double tolerance) {
        Nd4j.getRandom().setSeed(channels);
        INDArray x = Nd4j.randn(dtype, n, channels, side, side).muli(3).addi(1);
        INDArray gradOut = Nd4j.randn(dtype, x.shape());
        INDArray gamma = Nd4j.rand(dtype, channels).addi(0.5);
        INDArray beta = Nd4j.randn(dtype, channels);
        INDArray[] moments = Kernels.channelMoments(x);

        INDArray[] expected = Kernels.libnd4jBatchNormBackward(x, moments[0], moments[1], gamma, beta, gradOut, 1e-5);
        INDArray[] actual = BatchNormGradient.of(x, moments[0], moments[1], gamma, gradOut, 1e-5);

        String[] names = {"dL/dx", "dL/dγ", "dL/dβ"};
        for (int i = 0; i < 3; i++) {
            assertEquals(dtype, actual[i].dataType(), names[i]);
            assertClose(names[i], expected[i], actual[i].reshape(expected[i].shape()), tolerance);
        }
    }

    /** Views read as their values: one not in 'c' order, and one that starts part-way into its buffer. */
    @Test
    void readsViewsAsTheirValues() {
        Nd4j.getRandom().setSeed(7);
        INDArray x = Nd4j.randn(DataType.FLOAT, 2 * 4 * 6 * 5 * 5).get(NDArrayIndex.interval(4 * 6 * 5 * 5,
                2 * 4 * 6 * 5 * 5)).reshape(4, 6, 5, 5); // offset into its buffer
        INDArray gradOut = Nd4j.randn(DataType.FLOAT, 5, 5, 6, 4).permute(3, 2, 0, 1); // strides not 'c'
        INDArray gamma = Nd4j.rand(DataType.FLOAT, 6);
        INDArray[] moments = Kernels.channelMoments(x);
        INDArray[] fromViews = BatchNormGradient.of(x, moments[0], moments[1], gamma, gradOut, 1e-5);
        INDArray[] fromCopies = BatchNormGradient.of(x.dup('c'), moments[0], moments[1], gamma, gradOut.dup('c'),
                1e-5);
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(fromCopies[i].ravel().toFloatVector(), fromViews[i].ravel().toFloatVector());
        }
    }

    private static void assertClose(String what, INDArray expected, INDArray actual, double tolerance) {
        double scale = expected.castTo(DataType.DOUBLE).amaxNumber().doubleValue();
        double worst = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(scale > 0, what + " is all zeros");
        assertTrue(worst <= tolerance * scale, what + ": largest difference " + worst + " against largest value " + scale);
    }
}

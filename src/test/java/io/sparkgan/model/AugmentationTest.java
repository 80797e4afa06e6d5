package io.sparkgan.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * DiffAugment's transforms: the backward pass is the exact transpose of each (affine) transform, checked
 * by the adjoint identity ⟨A(x₁) − A(x₀), g⟩ = ⟨x₁ − x₀, Aᵀg⟩ in double precision; translation and cutout
 * move and clear the pixels they should; an image's draws depend on its slot, not on how the batch is split.
 */
class AugmentationTest {
    private static final Augmentation.Policy ALL = new Augmentation.Policy(true, true, true);

    private static INDArray images(long seed, int n, int channels, int size) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.rand(DataType.DOUBLE, n, channels, size, size).muli(2).subi(1);
    }

    @ParameterizedTest(name = "colour {0}, translation {1}, cutout {2}, {3} channels")
    @CsvSource({"true, false, false, 3", "false, true, false, 3", "false, false, true, 1", "true, true, true, 3",
        "true, true, true, 1"})
    void backwardIsTheTransposeOfTheTransform(boolean colour, boolean translation, boolean cutout, int channels) {
        Augmentation a = Augmentation.draw(new Augmentation.Policy(colour, translation, cutout), 1, 2, 0, 0, 0, 6,
                channels, 16);
        INDArray x0 = images(1, 6, channels, 16);
        INDArray x1 = images(2, 6, channels, 16);
        INDArray g = images(3, 6, channels, 16);
        double left = a.apply(x1).sub(a.apply(x0)).mul(g).sumNumber().doubleValue();
        double right = x1.sub(x0).mul(a.backward(g)).sumNumber().doubleValue();
        assertEquals(left, right, 1e-10 * Math.abs(left));
        assertNotEquals(0.0, left);
        assertTrue(a.apply(x1).sub(x1).amaxNumber().doubleValue() > 0.01, "the transform changed the images");
    }

    @Test
    void translationMovesPixelsAndCutoutClearsAHalfSideSquare() {
        int size = 16;
        INDArray x = images(4, 8, 1, size).addi(3); // all values in [2, 4]: a cleared pixel is exactly 0
        INDArray cut = Augmentation.draw(new Augmentation.Policy(false, false, true), 5, 0, 0, 0, 0, 8, 1, size)
                .apply(x);
        for (int i = 0; i < 8; i++) {
            long zeros = cut.get(NDArrayIndex.point(i)).dup().data().asDouble().length
                    - java.util.Arrays.stream(cut.get(NDArrayIndex.point(i)).dup().data().asDouble())
                    .filter(v -> v != 0).count();
            assertTrue(zeros > 0 && zeros <= 8 * 8, "image " + i + ": " + zeros + " pixels cleared");
        }
        Augmentation shift = Augmentation.draw(new Augmentation.Policy(false, true, false), 6, 0, 0, 0, 0, 8, 1, size);
        INDArray moved = shift.apply(x);
        boolean someMoved = false;
        for (int i = 0; i < 8; i++) {
            double[] in = x.get(NDArrayIndex.point(i)).dup().data().asDouble();
            double[] out = moved.get(NDArrayIndex.point(i)).dup().data().asDouble();
            int[] found = offset(in, out, size);
            assertTrue(Math.abs(found[0]) <= 2 && Math.abs(found[1]) <= 2, "at most 1/8 of 16 pixels each way");
            someMoved |= found[0] != 0 || found[1] != 0;
        }
        assertTrue(someMoved);
    }

    /** The (dx, dy) for which out[y][x] = in[y − dy][x − dx] wherever that is inside the image. */
    private static int[] offset(double[] in, double[] out, int size) {
        for (int dy = -2; dy <= 2; dy++) {
            for (int dx = -2; dx <= 2; dx++) {
                boolean match = true;
                for (int y = 0; y < size && match; y++) {
                    for (int x = 0; x < size && match; x++) {
                        int fy = y - dy;
                        int fx = x - dx;
                        double expected = fy >= 0 && fy < size && fx >= 0 && fx < size ? in[fy * size + fx] : 0;
                        match = out[y * size + x] == expected;
                    }
                }
                if (match) {
                    return new int[] {dx, dy};
                }
            }
        }
        throw new AssertionError("not a translation");
    }

    @Test
    void anImagesDrawsDependOnItsSlotNotOnTheBatchItIsIn() {
        INDArray x = images(7, 4, 3, 16);
        INDArray whole = Augmentation.draw(ALL, 9, 3, 1, 0, 0, 4, 3, 16).apply(x);
        INDArray secondHalf = Augmentation.draw(ALL, 9, 3, 1, 0, 2, 2, 3, 16)
                .apply(x.get(NDArrayIndex.interval(2, 4)));
        assertArrayEquals(whole.get(NDArrayIndex.interval(2, 4)).dup().data().asDouble(),
                secondHalf.dup().data().asDouble());
        INDArray otherStream = Augmentation.draw(ALL, 9, 3, 1, 1, 0, 4, 3, 16).apply(x);
        assertNotEquals(whole, otherStream, "real and generated batches get draws of their own");
    }
}

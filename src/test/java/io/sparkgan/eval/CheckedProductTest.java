package io.sparkgan.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.runtime.WrongKernelException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The metrics' native double products checked on their own matrices: ND4J's products here pass, and
 * a product with one entry off by a part in ten million, or with two rows swapped, does not.
 */
class CheckedProductTest {

    @Test
    void nativeProductsPassAndWrongOnesAreCaughtWithTheirShape() {
        Random random = new Random(9);
        int m = 300;
        int k = 200;
        int n = 150;
        double[] a = gaussian(random, m * k);
        double[] b = gaussian(random, n * k); // stored [n, k]: the product takes its transpose
        double[] c = Nd4j.toFlattened('c', Nd4j.createFromArray(a).reshape('c', m, k)
                .mmul(Nd4j.createFromArray(b).reshape('c', n, k).transpose())).toDoubleVector();
        CheckedProduct.Operand left = CheckedProduct.rowMajor(a, k, false);
        CheckedProduct.Operand right = CheckedProduct.rowMajor(b, k, true);
        CheckedProduct.verify("a test product", c, m, k, n, left, right);

        double[] oneEntry = c.clone();
        oneEntry[77 * n + 33] *= 1 + 1e-7;
        String message = assertThrows(WrongKernelException.class,
                () -> CheckedProduct.verify("a test product", oneEntry, m, k, n, left, right)).getMessage();
        assertTrue(message.startsWith("a native double product computed wrong numbers on host "), message);
        assertTrue(message.contains(": a test product ([300,200]x[200,150], column 33 of its check off by "), message);
        assertTrue(message.contains("OPENBLAS_CORETYPE="), message);
        assertEquals(-1, message.indexOf('\n'));

        double[] swapped = c.clone();
        System.arraycopy(c, 5 * n, swapped, 6 * n, n);
        System.arraycopy(c, 6 * n, swapped, 5 * n, n);
        assertThrows(WrongKernelException.class,
                () -> CheckedProduct.verify("a test product", swapped, m, k, n, left, right));
    }

    private static double[] gaussian(Random random, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextGaussian();
        }
        return v;
    }
}

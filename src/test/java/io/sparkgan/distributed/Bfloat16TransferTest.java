package io.sparkgan.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.step.RoundStatistics;
import io.sparkgan.step.RoundSums;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** train.gradient-transfer = bf16 on the wire: rounding, and the 16-bit form of a worker's result. */
class Bfloat16TransferTest {
    @Test
    void bfloat16RoundsToNearestEvenWithinTwoToTheMinusEight() {
        assertEquals(1f, Bfloat16.decode(Bfloat16.encode(1f)));
        assertEquals(1f, Bfloat16.decode(Bfloat16.encode(1f + 0x1p-8f)), "a tie goes to the even neighbour");
        assertEquals(1f + 0x1p-6f, Bfloat16.decode(Bfloat16.encode(1f + 0x1p-7f + 0x1p-8f)), "tie, odd below: up");
        assertEquals(1f + 0x1p-7f, Bfloat16.decode(Bfloat16.encode(1f + 0x1p-8f + 0x1p-12f)), "above the tie: up");
        assertTrue(Float.isNaN(Bfloat16.decode(Bfloat16.encode(Float.intBitsToFloat(0x7f800001)))),
                "a NaN whose payload is in the low bits stays NaN");
        assertEquals(Float.NEGATIVE_INFINITY, Bfloat16.decode(Bfloat16.encode(Float.NEGATIVE_INFINITY)));
        assertEquals(1e-30f, Bfloat16.decode(Bfloat16.encode(1e-30f)), 1e-30f / 256, "float32's range: no underflow");
        Random random = new Random(5);
        for (int i = 0; i < 100_000; i++) {
            float x = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(20) - 10));
            float y = Bfloat16.decode(Bfloat16.encode(x));
            assertTrue(Math.abs(y - x) <= Math.abs(x) * 0x1p-8f, x + " → " + y);
        }
    }

    @Test
    void aBfloat16ResultTravelsInHalfTheBytesAndArrivesUnchanged() throws Exception {
        float[] d = Bfloat16.roundInPlace(randomFloats(50_000, 1));
        float[] g = Bfloat16.roundInPlace(randomFloats(30_000, 2));
        RoundStatistics statistics = new RoundStatistics(1.5, 2.5, 0.4, 0.6, 0.25, 64, 123, 7);
        PartitionResult fp32 = new PartitionResult(3, RoundSums.ofWorker(d, g, statistics), false);
        PartitionResult bf16 = new PartitionResult(3, RoundSums.ofWorker(d, g, statistics), true);
        byte[] wide = serialise(fp32);
        byte[] narrow = serialise(bf16);
        assertEquals(0.5, narrow.length / (double) wide.length, 0.01, wide.length + " vs " + narrow.length);
        PartitionResult back = (PartitionResult) deserialise(narrow);
        assertArrayEquals(d, back.sums().discriminatorGradient());
        assertArrayEquals(g, back.sums().generatorGradient());
        assertEquals(statistics, back.sums().statistics());
        assertTrue(back.bfloat16());
    }

    private static float[] randomFloats(int n, long seed) {
        Random random = new Random(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static byte[] serialise(Object o) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        return bytes.toByteArray();
    }

    private static Object deserialise(byte[] bytes) throws Exception {
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
            return in.readObject();
        }
    }
}

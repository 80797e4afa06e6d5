package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestSpark;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train.gradient-transfer = bf16: rounding, the 16-bit wire form, and a run trained with it. */
class GradientTransferTest {
    @TempDir
    Path tmp;

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
        PartitionResult fp32 = new PartitionResult(3, d, g, 1.5, 2.5, 0.4, 0.6, 64, 123, false);
        PartitionResult bf16 = new PartitionResult(3, d, g, 1.5, 2.5, 0.4, 0.6, 64, 123, true);
        byte[] wide = serialise(fp32);
        byte[] narrow = serialise(bf16);
        assertEquals(0.5, narrow.length / (double) wide.length, 0.01, wide.length + " vs " + narrow.length);
        PartitionResult back = (PartitionResult) deserialise(narrow);
        assertArrayEquals(d, back.discriminatorGradient());
        assertArrayEquals(g, back.generatorGradient());
        assertEquals(1.5, back.discriminatorLoss());
        assertEquals(64, back.images());
        assertTrue(back.bfloat16());
    }

    /**
     * Driver mode, where gradients travel to the driver. (In collective mode the values are rounded
     * the same way, so runs match across modes, but the all-reduce passes float32 partial sums on.)
     */
    @Test
    void trainingWithBfloat16GradientsStaysCloseAndMovesFewerBytes() throws IOException {
        var sc = TestSpark.context();
        byte[] images = TrainingFixtures.images(400, 5);
        TrainingJob.Result[] results = new TrainingJob.Result[2];
        String[] transfers = {"fp32", "bf16"};
        for (int i = 0; i < 2; i++) {
            results[i] = TrainingJob.train(TrainingFixtures.config(tmp, transfers[i], "train.steps=4",
                            "train.gradient-transfer=" + transfers[i], "train.sync=driver"), sc, Storage.local(),
                    PartitionLoader.fromArrays(sc, TrainingFixtures.contiguous(images, 400, 4)), null, false);
        }
        assertNotEquals(results[0].discriminatorSha256(), results[1].discriminatorSha256());
        assertTrue(relativeDifference(results[0].discriminator(), results[1].discriminator()) < 1e-2);
        assertTrue(relativeDifference(results[0].generator(), results[1].generator()) < 1e-2);
        List<String> fp32 = Files.readAllLines(tmp.resolve("fp32/metrics.jsonl"));
        List<String> bf16 = Files.readAllLines(tmp.resolve("bf16/metrics.jsonl"));
        long wideBytes = Json.parse(fp32.get(2)).path("sync_bytes").asLong();
        long narrowBytes = Json.parse(bf16.get(2)).path("sync_bytes").asLong();
        int gParams = results[0].generator().length;
        int dParams = results[0].discriminator().length;
        // per alternating step: D and G gradients from 4 workers, 2 bytes saved per value
        assertEquals(wideBytes - 2L * 4 * (gParams + dParams), narrowBytes);
    }

    private static double relativeDifference(float[] a, float[] b) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (double) (a[i] - b[i]) * (a[i] - b[i]);
            norm += (double) a[i] * a[i];
        }
        return Math.sqrt(diff / norm);
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

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

/** A run trained with train.gradient-transfer = bf16 (the wire form: distributed.Bfloat16TransferTest). */
class GradientTransferTest {
    @TempDir
    Path tmp;

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
                    TrainingFixtures.shards(images), null, false);
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

}

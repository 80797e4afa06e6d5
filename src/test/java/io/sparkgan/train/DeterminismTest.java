package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.TestSpark;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Same seed, same everything else: bit-identical parameters, as recorded in the checkpoints. */
class DeterminismTest {
    @TempDir
    Path tmp;

    private JsonNode run(String runId, long seed) throws IOException {
        var sc = TestSpark.context();
        byte[] images = TrainingFixtures.images(400, 5);
        TrainingJob.train(TrainingFixtures.config(tmp, runId, "train.seed=" + seed, "train.steps=4",
                        "train.checkpoint-every=2"), sc, Storage.local(),
                TrainingFixtures.shards(images), null);
        return Json.parse(Files.readString(tmp.resolve(runId).resolve("checkpoints/step-00000004/state.json")));
    }

    @Test
    void sameSeedGivesBitIdenticalParameters() throws IOException {
        JsonNode first = run("first", 42);
        JsonNode second = run("second", 42);
        JsonNode other = run("other-seed", 43);
        assertEquals(4, first.path("step").asInt());
        assertEquals(first.path("params_sha256"), second.path("params_sha256"));
        assertNotEquals(first.path("params_sha256").path("generator"), other.path("params_sha256").path("generator"));
        assertNotEquals(first.path("params_sha256").path("discriminator"),
                other.path("params_sha256").path("discriminator"));
    }
}

package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.LogCapture;
import io.sparkgan.TestSpark;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.Preparer;
import io.sparkgan.data.StoredShards;
import io.sparkgan.distributed.FaultHooks;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import io.sparkgan.step.TrainingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training on shards read from disk as it goes (data.cache = stream): the same bits as with the
 * dataset kept in memory, in both sync modes, and killed at a random step in the middle of an epoch
 * and run again, the same bits as a run never interrupted. 600 real Fashion-MNIST images in shards
 * of 20, read in 4 lanes with windows of 10 images: an epoch is 37.5 global batches of 16, so the
 * runs below cross an epoch boundary and many windows.
 */
class StreamedTrainingTest {
    private static final int STEPS = 45;

    @TempDir
    Path tmp;

    @AfterEach
    void clearFaults() {
        FaultHooks.clear();
    }

    private SparkganConfig config(String runId, String cache, String sync) {
        return TrainingFixtures.config(tmp, runId, "data.source=data-manifests/fashion-mnist.conf",
                "data.shards=" + tmp.resolve("shards"), "data.limit=600", "data.shard-size=" + 20 * 788,
                "data.lanes=4", "data.shuffle-window=" + 10 * 784, "data.cache=" + cache,
                "train.workers=2", "train.batch-per-worker=8", "train.steps=" + STEPS, "train.checkpoint-every=10",
                "train.log-every=5", "train.sync=" + sync);
    }

    private TrainingJob.Result train(String runId, String cache, String sync) throws IOException {
        return TrainingJob.run(config(runId, cache, sync), TestSpark.context(), Storage.local());
    }

    @Test
    void streamedEqualsInMemoryAndAKilledRunResumesBitIdentical() throws IOException {
        String log;
        TrainingJob.Result memory;
        TrainingJob.Result streamed;
        try (LogCapture capture = new LogCapture()) {
            memory = train("memory", "memory", "driver");
            streamed = train("stream", "stream", "driver");
            log = capture.text();
        }
        assertTrue(log.contains("train: 600 images kept in executor memory (data.cache = memory)"), log);
        assertTrue(log.contains("train: 600 images streamed from " + tmp.resolve("shards") + " (data.cache = stream)"),
                log);
        assertTrue(log.contains("sample order over 600 images: 4 lanes × 4 images a batch, shuffle windows of 10"
                + " images (shuffled every epoch)"), log);
        assertEquals(memory.generatorSha256(), streamed.generatorSha256(), "the cache mode never changes the bits");
        assertEquals(memory.discriminatorSha256(), streamed.discriminatorSha256());
        TrainingJob.Result collective = train("collective", "stream", "collective");
        assertEquals(streamed.generatorSha256(), collective.generatorSha256(), "driver and collective modes agree");
        assertEquals(streamed.discriminatorSha256(), collective.discriminatorSha256());

        List<JsonNode> metrics = Files.readAllLines(tmp.resolve("stream/metrics.jsonl")).stream().map(Json::parse)
                .toList();
        assertTrue(metrics.stream().allMatch(m -> m.path("data_wait_s").isNumber()
                && m.path("data_wait_s").asDouble() <= m.path("compute_s").asDouble()), metrics.toString());

        Random random = new Random();
        for (String sync : new String[] {"driver", "collective"}) {
            int killedAt = 11 + random.nextInt(STEPS - 12); // not at a checkpoint's step
            String runId = "killed-" + sync;
            FaultHooks.partition = (request, result) -> {
                if (request.round().step() == killedAt - 1 && result.partition() == 1) {
                    throw new IllegalStateException("injected: executor lost at step " + killedAt);
                }
                return result;
            };
            assertThrows(Exception.class, () -> train(runId, "stream", sync));
            FaultHooks.clear();
            assertTrue(Files.exists(tmp.resolve(runId).resolve(String.format("checkpoints/step-%08d/_COMMITTED",
                    (killedAt - 1) / 10 * 10))), "killed at step " + killedAt + " after a checkpoint");
            TrainingJob.Result resumed = train(runId, "stream", sync);
            assertEquals(streamed.generatorSha256(), resumed.generatorSha256(),
                    sync + " mode, killed at step " + killedAt + " and resumed");
            assertEquals(streamed.discriminatorSha256(), resumed.discriminatorSha256(),
                    sync + " mode, killed at step " + killedAt + " and resumed");
        }
    }

    /**
     * A shard cut short while a run reads it (prepare, which runs first, would have prepared it
     * again): stream mode's header and length check names it, and so does memory mode's SHA-256.
     */
    @Test
    void aDamagedShardStopsTheRunWithAMessageNamingIt() throws Exception {
        DatasetInfo info = Preparer.prepare(TestSpark.context(), config("first", "stream", "driver").data(),
                Storage.local()).info();
        Path shard = tmp.resolve("shards/part-00007.npy");
        byte[] bytes = Files.readAllBytes(shard);
        Files.write(shard, java.util.Arrays.copyOf(bytes, bytes.length - 788));
        for (String cache : new String[] {"stream", "memory"}) {
            for (String sync : new String[] {"driver", "collective"}) {
                SparkganConfig config = config("damaged-" + cache + "-" + sync, cache, sync);
                StoredShards shards = new StoredShards(Storage.local(), tmp.resolve("shards").toString(),
                        info, cache.equals("memory"));
                Exception e = assertThrows(Exception.class, () -> TrainingJob.train(config, TestSpark.context(),
                        Storage.local(), shards, info));
                // driver mode: the executor's DataException; collective mode: the job's failure, which quotes it
                String messages = "";
                for (Throwable t = e; t != null; t = t.getCause()) {
                    messages += t.getMessage() + "\n";
                }
                String named = "shard " + shard.toUri().toString().replace("file:///", "file:/") + (cache.equals("stream")
                        ? " of " + Storage.qualify(tmp.resolve("shards").toString())
                        + " changed under this job: it has 15100 bytes, dataset.json says 15888 bytes of 20 records of"
                        + " [('label', '<i4'), ('image', '|u1', (1, 28, 28))]"
                        : " is damaged: its SHA-256 is ");
                assertTrue(messages.contains(named), cache + ", " + sync + ": " + messages);
            }
        }

        // a shard gone altogether (a lifecycle rule, another job's cleanup): one message naming it, and the
        // checkpoint to resume from once it is back
        Files.delete(shard);
        SparkganConfig config = config("deleted", "stream", "driver");
        StoredShards shards = new StoredShards(Storage.local(), tmp.resolve("shards").toString(), info, false);
        TrainingException e = assertThrows(TrainingException.class, () -> TrainingJob.train(config,
                TestSpark.context(), Storage.local(), shards, info));
        assertTrue(e.getMessage().matches("step \\d+: shard " + Pattern.quote(shard.toUri().toString()
                .replace("file:///", "file:/")) + " of .* changed under this job: it is gone \\(.*\\)\\. A prepared dataset is"
                + " never changed in place; .*\\. (The last good checkpoint is .*step-\\d+\\.|No checkpoint had been"
                + " written yet\\.)"), e.getMessage());
        assertFalse(Files.exists(tmp.resolve("deleted/_SUCCESS")), "no run finishes on missing data");
    }
}

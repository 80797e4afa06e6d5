package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.TestSpark;
import io.sparkgan.config.ConfigException;
import io.sparkgan.config.TrainConfig;
import io.sparkgan.distributed.Synchronisation;
import io.sparkgan.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * train.sync = collective against train.sync = driver on Spark local[4]: the same run, bit for bit,
 * whatever the step order and options, and a clear choice between the two where one cannot run.
 */
class CollectiveTrainingTest {
    @TempDir
    Path tmp;

    private TrainingJob.Result train(String runId, String... sets) throws IOException {
        // jobs of at most 3 steps; checkpoints every 2 (trainSmall): jobs end at 1, 2, 4, 5
        String[] all = Arrays.copyOf(sets, sets.length + 1);
        all[sets.length] = "train.steps-per-job=3";
        return TrainingFixtures.trainSmall(TestSpark.context(), tmp, runId, 5, 5, false, all);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "train.order=alternating",
        "train.order=alternating;train.d-steps-per-g-step=2",
        "train.order=simultaneous",
        "train.gradient-transfer=bf16;train.label-smoothing=0.1;train.ema-half-life=100",
        "train.loss=wgan;train.d-steps-per-g-step=2",
        "train.loss=hinge",
        "train.loss=least-squares;train.d-skip-below=0.3",
        "train.loss=wgan-gp;model.d-norm=layer;train.d-steps-per-g-step=2",
        "train.r1-gamma=1;train.r1-every=2;model.d-norm=none;train.order=simultaneous",
        "train.loss=hinge;model.spectral-norm=true;model.d-norm=none;train.d-steps-per-g-step=2",
        "train.augment=colour,translation,cutout;train.r1-gamma=1;train.r1-every=1;model.d-norm=none"})
    void collectiveAndDriverModesTrainTheSameRunBitForBit(String settings) throws IOException {
        String[] sets = settings.split(";");
        TrainingJob.Result driver = train("driver", with(sets, "train.sync=driver"));
        TrainingJob.Result collective = train("collective", with(sets, "train.sync=collective"));

        assertEquals("driver", provenance("driver").path("sync").asText());
        assertEquals("collective", provenance("collective").path("sync").asText());
        assertEquals(driver.generatorSha256(), collective.generatorSha256());
        assertEquals(driver.discriminatorSha256(), collective.discriminatorSha256());
        List<JsonNode> d = metrics("driver");
        List<JsonNode> c = metrics("collective");
        assertEquals(5, c.size(), "a line for every step (train.log-every = 1), also inside a job");
        for (int i = 0; i < d.size(); i++) {
            for (String key : List.of("step", "d_loss", "d_penalty", "g_loss", "d_real", "d_fake", "d_grad_norm",
                    "g_grad_norm")) {
                assertEquals(d.get(i).path(key).asDouble(), c.get(i).path(key).asDouble(), 0.0, key + " at line " + i);
            }
            // a worker's wall time is its own, its compute the slowest worker's: sync can round to zero
            assertTrue(c.get(i).path("compute_s").asDouble() > 0 && c.get(i).path("sync_s").asDouble() >= 0,
                    c.get(i).toString());
        }
        // a penalty is computed where configured: every D round for wgan-gp, every other one for R1 every 2
        long penalised = d.stream().filter(line -> line.path("d_penalty").asDouble() > 0).count();
        assertEquals(settings.contains("wgan-gp") || settings.contains("r1-every=1") ? 5
                : settings.contains("r1-every=2") ? 3 : 0, penalised, settings);
        // the comparison does tell runs apart: another seed is another run
        TrainingJob.Result otherSeed = train("other", with(sets, "train.sync=collective", "train.seed=7"));
        assertNotEquals(driver.generatorSha256(), otherSeed.generatorSha256());
    }

    @Test
    void aRunStartedInOneModeResumesInTheOtherAndEndsTheSame() throws IOException {
        TrainingJob.Result straight = train("straight", "train.sync=collective");
        TrainingFixtures.trainSmall(TestSpark.context(), tmp, "switched", 5, 2, false, "train.sync=driver");
        TrainingJob.Result switched = train("switched", "train.sync=collective");
        assertEquals(straight.generatorSha256(), switched.generatorSha256());
        assertEquals(straight.discriminatorSha256(), switched.discriminatorSha256());
    }

    @Test
    void autoTakesTheCollectiveModeWhereEveryWorkerGetsATaskSlotAndTheDriverModeElsewhere() {
        JavaSparkContext sc = TestSpark.context(); // local[4]
        assertEquals(TrainConfig.Sync.COLLECTIVE, Synchronisation.choose(sc, trainConfig("auto", 4)));
        assertEquals(TrainConfig.Sync.DRIVER, Synchronisation.choose(sc, trainConfig("auto", 5)));
        assertEquals(TrainConfig.Sync.DRIVER, Synchronisation.choose(sc, trainConfig("driver", 4)));

    }

    @Test
    void askingForTheCollectiveModeWhereItCannotRunFailsBeforeTouchingTheRunDirectory() {
        ConfigException e = assertThrows(ConfigException.class, () -> TrainingJob.train(
                TrainingFixtures.config(tmp, "too-many", "train.sync=collective", "train.workers=5"),
                TestSpark.context(), io.sparkgan.io.Storage.local(),
                TrainingFixtures.shards(TrainingFixtures.images(50, 1)), null));
        assertTrue(e.getMessage().contains("train.sync = collective cannot run here: master local[4] runs 4 tasks at"
                + " once, fewer than train.workers = 5") && e.getMessage().contains("train.sync = driver"),
                e.getMessage());
        assertFalse(Files.exists(tmp.resolve("too-many")));
    }

    private TrainConfig trainConfig(String sync, int workers) {
        return TrainingFixtures.config(tmp, "x", "train.sync=" + sync, "train.workers=" + workers).train();
    }

    private JsonNode provenance(String runId) throws IOException {
        return Json.parse(Files.readString(tmp.resolve(runId).resolve("provenance.json")));
    }

    private List<JsonNode> metrics(String runId) throws IOException {
        return Files.readAllLines(tmp.resolve(runId).resolve("metrics.jsonl")).stream().map(Json::parse).toList();
    }

    private static String[] with(String[] sets, String... more) {
        String[] all = Arrays.copyOf(sets, sets.length + more.length);
        System.arraycopy(more, 0, all, sets.length, more.length);
        return all;
    }
}

package io.sparkgan.train;

import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.ArrayShards;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;

/** Small configurations and in-memory partitions for training tests. */
final class TrainingFixtures {
    private TrainingFixtures() {
    }

    /** A small 28×28 GAN run writing under {@code output}; extra --set values win. */
    static SparkganConfig config(Path output, String runId, String... sets) {
        List<String> all = new ArrayList<>(List.of(
                "output.dir=" + output, "run.id=" + runId,
                "model.g-features=8", "model.d-features=8", "model.latent-dim=16",
                "train.steps=3", "train.batch-per-worker=8", "train.workers=4",
                "train.log-every=1", "train.sample-every=1000", "train.checkpoint-every=1000",
                "train.sample-count=16"));
        all.addAll(Arrays.asList(sets));
        return ConfigLoader.load((Path) null, all);
    }

    /**
     * Trains 400 random images (of {@code imageSeed}) over four in-memory partitions into
     * {@code output/runId} for {@code steps} steps with a checkpoint every 2 steps; extra --set
     * values win. What the resume and fault tests run again and again.
     */
    static TrainingJob.Result trainSmall(JavaSparkContext sc, Path output, String runId, long imageSeed, int steps,
                                         boolean fresh, String... sets) throws IOException {
        List<String> all = new ArrayList<>(List.of("train.steps=" + steps, "train.checkpoint-every=2"));
        all.addAll(Arrays.asList(sets));
        return TrainingJob.train(config(output, runId, all.toArray(String[]::new)), sc, Storage.local(),
                shards(images(400, imageSeed)), null, fresh);
    }

    /** Random uint8 28×28 images, the same for the same seed. */
    static byte[] images(int count, long seed) {
        byte[] pixels = new byte[count * 784];
        new Random(seed).nextBytes(pixels);
        return pixels;
    }

    /** 28×28 grey images held in memory as shards of 100 images. */
    static ArrayShards shards(byte[] images) {
        return ArrayShards.of(images, 784, 100);
    }
}

package io.sparkgan.train;

import io.sparkgan.config.DataConfig;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.ShardReader;
import io.sparkgan.model.GanReplica;
import java.io.IOException;

/**
 * The sample grids a run writes as it trains ({@code samples/step-N.png}): from the run's fixed noise
 * ({@link SampleGrid}), or for a translation, G's outputs for the first pairs of the training split
 * ({@link TranslationGrid}), a row per pair.
 */
final class RunSamples {
    private final SparkganConfig config;
    private final GanReplica replica;
    private final float[] pairs; // a translation's fixed pairs, null for a GAN from noise

    private RunSamples(SparkganConfig config, GanReplica replica, float[] pairs) {
        this.config = config;
        this.replica = replica;
        this.pairs = pairs;
    }

    static RunSamples of(SparkganConfig config, GanReplica replica, ShardReader shards) throws IOException {
        if (!replica.architecture().family().translates()) {
            return new RunSamples(config, replica, null);
        }
        int rows = Math.max(1, config.train().sampleCount() / 2);
        boolean swapped = config.data().direction() == DataConfig.Direction.B_TO_A;
        return new RunSamples(config, replica, TranslationGrid.firstPairs(shards, rows, swapped));
    }

    byte[] png(float[] generator, long step) {
        long seed = config.train().seed();
        return pairs == null ? SampleGrid.png(replica, generator, seed, config.train().sampleCount(), config.runId(), step)
                : TranslationGrid.png(replica, generator, pairs, seed, config.runId(), step);
    }
}

package io.sparkgan.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.TestHdfs;
import io.sparkgan.TestSpark;
import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.step.TrainingException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.protocol.HdfsConstants;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run directory that runs out of space (an HDFS space quota, on an in-process HDFS with 1 MiB
 * blocks): the job stops saying so and naming the last good checkpoint, which stays readable; once
 * the space is there again, the same command resumes and ends bit-identical to a run that had room.
 */
class OutOfSpaceTest {
    private static final long MIB = 1 << 20;
    private static final int STEPS = 10;

    @TempDir
    Path tmp;
    private MiniDFSCluster hdfs;

    @BeforeEach
    void startHdfs() throws IOException {
        hdfs = TestHdfs.start(tmp.resolve("hdfs"), MIB);
    }

    @AfterEach
    void stopHdfs() {
        hdfs.shutdown(true);
    }

    private TrainingJob.Result train(String output, String runId, int steps) throws IOException {
        JavaSparkContext sc = TestSpark.context();
        SparkganConfig config = ConfigLoader.load((Path) null, List.of("output.dir=" + output, "run.id=" + runId,
                "model.g-features=8", "model.d-features=8", "model.latent-dim=16", "train.batch-per-worker=8",
                "train.workers=4", "train.steps=" + steps, "train.checkpoint-every=2", "train.sample-every=1000",
                "train.sample-count=16"));
        Configuration client = new Configuration();
        client.setLong("dfs.blocksize", MIB);
        client.setInt("dfs.replication", 1); // a quota charges every replica
        client.setInt("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", 20);
        return TrainingJob.train(config, sc, new Storage(client), TrainingFixtures.shards(TrainingFixtures.images(400, 3)), null, false);
    }

    @Test
    void aFullFilesystemStopsTheRunSayingSoAndTheRerunAfterSpaceIsFreedResumesBitIdentical() throws Exception {
        String runs = hdfs.getURI() + "/runs";
        TrainingJob.Result roomy = train(runs, "roomy", STEPS);

        DistributedFileSystem fs = hdfs.getFileSystem();
        org.apache.hadoop.fs.Path full = new org.apache.hadoop.fs.Path("/runs/full");
        train(runs, "full", 2); // a first checkpoint, then the disk fills up
        fs.delete(new org.apache.hadoop.fs.Path(full, "_SUCCESS"), false);
        long used = fs.getContentSummary(full).getSpaceConsumed();
        // room for a few more checkpoints (HDFS also charges a whole block to every file being written)
        fs.setQuota(full, HdfsConstants.QUOTA_DONT_SET, used + 5 * MIB / 2);

        TrainingException e = assertThrows(TrainingException.class, () -> train(runs, "full", STEPS));
        Storage storage = new Storage(new Configuration());
        RunDirectory run = new RunDirectory(new org.apache.hadoop.fs.Path(runs, "full"));
        List<Long> committed = Checkpoint.committed(storage, run);
        long last = committed.get(committed.size() - 1);
        assertTrue(e.getMessage().contains("quota") && e.getMessage().contains("The filesystem is full")
                && e.getMessage().endsWith("The last good checkpoint is " + run.checkpoint(last) + "."), e.getMessage());
        assertTrue(last >= 2 && last < STEPS, "stopped part-way: " + committed);
        assertEquals(last, Checkpoint.read(storage, run, last, ConfigLoader.load((Path) null, List.of()).train())
                .step(), "the last good checkpoint is readable");
        assertFalse(storage.exists(run.success()));

        fs.setQuota(full, HdfsConstants.QUOTA_DONT_SET, HdfsConstants.QUOTA_RESET); // space freed
        TrainingJob.Result resumed = train(runs, "full", STEPS);
        assertEquals(roomy.generatorSha256(), resumed.generatorSha256());
        assertEquals(roomy.discriminatorSha256(), resumed.discriminatorSha256());
    }
}

package io.sparkgan.distributed;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** Where the collective mode can run (the choice train.sync = auto makes on a live context: CollectiveTrainingTest). */
class SynchronisationTest {
    @Test
    void collectiveModeNeedsAFixedSetOfExecutorsAndATaskSlotPerWorker() {
        assertNull(Synchronisation.collectiveUnsupportedBecause(new SparkConf().setMaster("yarn"), 64));
        assertTrue(Synchronisation.collectiveUnsupportedBecause(new SparkConf().setMaster("yarn")
                .set("spark.dynamicAllocation.enabled", "true"), 8).contains("spark.dynamicAllocation.enabled"));
        assertTrue(Synchronisation.collectiveUnsupportedBecause(new SparkConf().setMaster("local[2,3]"), 4)
                .contains("master local[2,3] runs 2 tasks at once, fewer than train.workers = 4"));
        assertNull(Synchronisation.collectiveUnsupportedBecause(new SparkConf().setMaster("local[*]"), 1));
    }
}

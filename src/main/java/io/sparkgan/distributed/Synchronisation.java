package io.sparkgan.distributed;

import io.sparkgan.config.ConfigException;
import io.sparkgan.config.TrainConfig;
import io.sparkgan.data.WorkerInput;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.runtime.ExecutorThreads;
import io.sparkgan.step.GanState;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two ways of running steps on a cluster (train.sync), and the choice between them:
 * <ul>
 *   <li>{@code driver} ({@link DriverRounds}): a Spark job per round; the driver sums the workers'
 *       gradients and applies the optimiser. Runs anywhere.</li>
 *   <li>{@code collective} ({@link CollectiveSteps}, {@link CollectiveWorker}): one barrier job runs
 *       many steps; the tasks all-reduce their gradients among themselves ({@link ChainAllReduce})
 *       and each applies the optimiser to its own replica. Needs all workers running at once.</li>
 * </ul>
 */
public final class Synchronisation {
    private static final Logger LOG = LoggerFactory.getLogger(Synchronisation.class);

    private Synchronisation() {
    }

    /**
     * The mode train.sync asks for: "auto" takes the collective one where this cluster allows it.
     * Decided before the run directory is touched, so that a setting that cannot work leaves nothing.
     */
    public static TrainConfig.Sync choose(JavaSparkContext sc, TrainConfig train) {
        if (train.sync() == TrainConfig.Sync.DRIVER) {
            return TrainConfig.Sync.DRIVER;
        }
        String unsupported = collectiveUnsupportedBecause(sc.getConf(), train.workers());
        if (unsupported == null) {
            return TrainConfig.Sync.COLLECTIVE;
        }
        if (train.sync() == TrainConfig.Sync.COLLECTIVE) {
            throw new ConfigException("train.sync = collective cannot run here: " + unsupported
                    + ". Use train.sync = driver (or auto), or give the job at least train.workers task slots.");
        }
        LOG.info("train: train.sync = auto chose the driver mode: {}", unsupported);
        return TrainConfig.Sync.DRIVER;
    }

    /**
     * Why the collective mode cannot run on this context, or null when it can: a barrier stage needs
     * all train.workers tasks running at once, on a fixed set of executors.
     */
    static String collectiveUnsupportedBecause(SparkConf conf, int workers) {
        if (conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
            return "spark.dynamicAllocation.enabled = true, and Spark's barrier stages need a fixed set of executors";
        }
        String master = conf.get("spark.master", "");
        int slots = ExecutorThreads.localTaskSlots(master);
        if (slots > 0 && slots < workers) {
            return "master " + master + " runs " + slots + " tasks at once, fewer than train.workers = " + workers;
        }
        return null;
    }

    /** Starts running steps of {@code state} in {@code mode} (one {@link #choose} returned). */
    public static StepRunner start(TrainConfig.Sync mode, JavaSparkContext sc, JavaRDD<WorkerInput> partitions,
                                   GanArchitecture architecture, TrainConfig train, int threads, GanState state) {
        RoundRequest.Settings settings = RoundRequest.Settings.of(architecture, train, threads);
        return mode == TrainConfig.Sync.COLLECTIVE
                ? new CollectiveSteps(sc, partitions, train, settings, state)
                : new DriverRounds(sc, partitions, train, settings, state);
    }
}

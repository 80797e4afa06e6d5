package io.sparkgan.data;

import io.sparkgan.config.DataConfig;
import io.sparkgan.config.TrainConfig;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What training reads, set up on the driver: the shards' reader (kept in memory or streamed,
 * data.cache), the run's {@link SampleOrder}, and one {@link WorkerInput} per worker as a cached RDD.
 */
public final class TrainingData {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingData.class);
    /** data.cache = auto keeps the dataset in memory when it takes at most this share of an executor's. */
    static final double MEMORY_SHARE = 0.25;

    private TrainingData() {
    }

    /**
     * The reader of a prepared dataset: in memory or streamed as data.cache says, or for auto as the
     * dataset's decoded size against an executor's memory says (logged, with the reason).
     */
    public static StoredShards reader(JavaSparkContext sc, Storage storage, DataConfig data, PreparedDataset dataset)
            throws IOException {
        DatasetInfo info = dataset.info();
        long bytes = info.count() * info.channels() * info.size() * info.size();
        boolean local = sc.isLocal();
        long executorMemory = local ? Runtime.getRuntime().maxMemory()
                : sc.getConf().getSizeAsBytes("spark.executor.memory", "1g");
        boolean inMemory = switch (data.cache()) {
            case MEMORY -> true;
            case STREAM -> false;
            case AUTO -> bytes <= MEMORY_SHARE * executorMemory;
        };
        String reason = data.cache() != DataConfig.Cache.AUTO ? "data.cache = " + data.cache().name().toLowerCase()
                : String.format("data.cache = auto: the dataset's %s decoded is %s a quarter of %s's %s",
                        mebibytes(bytes), inMemory ? "within" : "more than", local ? "the driver" : "an executor",
                        mebibytes(executorMemory));
        LOG.info("train: {} images {} ({})", info.count(), inMemory ? "kept in executor memory" : "streamed from "
                + (dataset.generation() == 0 ? data.shards() : dataset.dir()), reason);
        return StoredShards.of(storage, dataset, inMemory);
    }

    /** The run's sample order over the shards of {@code reader}. */
    public static SampleOrder order(TrainConfig train, DataConfig data, ShardReader reader) {
        return SampleOrder.of(train.seed(), train.shuffle(), reader.shardCounts(), train.globalBatch(), data.lanes(),
                data.shuffleWindow() / reader.pixelsPerImage());
    }

    /**
     * One input per worker, as an RDD cached for the run (its elements hold their read-ahead
     * windows between rounds). Tasks carry only broadcast handles: the reader (with its Hadoop
     * configuration, or its arrays) and the order go out once. Pairs come with their input half first:
     * {@code data.direction = BtoA} swaps each record's halves as it is read.
     */
    public static JavaRDD<WorkerInput> inputs(JavaSparkContext sc, ShardReader reader, SampleOrder order, int workers,
                                              DataConfig data) {
        int swapped = data.paired() && data.direction() == DataConfig.Direction.B_TO_A ? reader.pixelsPerImage() / 2 : 0;
        Broadcast<ShardReader> sharedReader = sc.broadcast(reader);
        Broadcast<SampleOrder> sharedOrder = sc.broadcast(order);
        sc.setJobDescription("sparkgan: " + workers + " workers' inputs over " + order.images() + " images, "
                + order.lanes() + " lanes");
        JavaRDD<WorkerInput> rdd = sc.parallelize(IntStream.range(0, workers).boxed().toList(), workers)
                .map(p -> new WorkerInput(p, workers, sharedOrder.value(), sharedReader.value(), swapped))
                .persist(StorageLevel.MEMORY_ONLY());
        rdd.count();
        return rdd;
    }

    private static String mebibytes(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }
}

package io.sparkgan.data;

import io.sparkgan.io.Storage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;

/**
 * Spreads a prepared dataset over the workers: partition p holds images [p·N/W, (p+1)·N/W) and reads
 * only the shards that overlap that range, on the executor. The RDD is cached for the run; if an
 * executor is lost, Spark reads the partition's shards again.
 */
public final class PartitionLoader {
    private PartitionLoader() {
    }

    public static JavaRDD<TrainingPartition> load(JavaSparkContext sc, Storage storage, String shardsLocation,
                                                  DatasetInfo info, int workers) {
        if (info.count() < workers) {
            throw new DataException("the dataset has " + info.count() + " images, fewer than train.workers=" + workers
                    + "; every worker needs at least one image");
        }
        Path dir = Storage.qualify(shardsLocation);
        String dirString = dir.toString();
        sc.setJobDescription("sparkgan: load " + info.count() + " images into " + workers + " partitions");
        // The RDD's lineage travels inside every task of every round. Capture only a broadcast handle
        // (as Spark's HadoopRDD does with its configuration): serialising the Hadoop configuration and
        // the shard list into each round's tasks cost ~50 ms per round.
        Broadcast<Storage> sharedStorage = sc.broadcast(storage);
        Broadcast<DatasetInfo> sharedInfo = sc.broadcast(info);
        JavaRDD<TrainingPartition> rdd = sc.parallelize(IntStream.range(0, workers).boxed().toList(), workers)
                .map(p -> read(sharedStorage.value(), new Path(dirString), sharedInfo.value(), p, workers))
                .persist(StorageLevel.MEMORY_ONLY());
        rdd.count();
        return rdd;
    }

    /** Images [p·N/W, (p+1)·N/W) of a prepared dataset, read from the shards that hold them. */
    public static TrainingPartition read(Storage storage, Path dir, DatasetInfo info, int partition, int workers) {
        long n = info.count();
        long from = partition * n / workers;
        long to = (partition + 1) * n / workers;
        int pixels = info.channels() * info.size() * info.size();
        byte[] images = new byte[Math.toIntExact((to - from) * pixels)];
        long shardStart = 0;
        try {
            for (DatasetInfo.Shard shard : info.shards()) {
                long shardEnd = shardStart + shard.count();
                long a = Math.max(from, shardStart);
                long b = Math.min(to, shardEnd);
                if (a < b) {
                    Shards.Content content = Shards.read(storage, dir, shard, info.channels(), info.size());
                    System.arraycopy(content.images(), (int) ((a - shardStart) * pixels), images,
                            (int) ((a - from) * pixels), (int) ((b - a) * pixels));
                }
                shardStart = shardEnd;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read shards under " + dir + ": " + e.getMessage(), e);
        }
        return new TrainingPartition(partition, images, (int) (to - from), pixels);
    }

    /**
     * Partitions built from arrays already in memory (for tests and benchmarks). They go out as one
     * broadcast, so that, as with {@link #load}, no task of a round carries images: a parallelized
     * collection would put each partition's images into every one of its tasks.
     */
    public static JavaRDD<TrainingPartition> fromArrays(JavaSparkContext sc, List<TrainingPartition> partitions) {
        Broadcast<List<TrainingPartition>> shared = sc.broadcast(List.copyOf(partitions));
        JavaRDD<TrainingPartition> rdd = sc.parallelize(IntStream.range(0, partitions.size()).boxed().toList(),
                partitions.size()).map(p -> shared.value().get(p)).persist(StorageLevel.MEMORY_ONLY());
        rdd.count();
        return rdd;
    }
}

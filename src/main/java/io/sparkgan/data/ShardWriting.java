package io.sparkgan.data;

import io.sparkgan.config.DataConfig;
import io.sparkgan.io.DirectoryLease;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.LongAccumulator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one dataset into a folder: a {@link ShardTask} per shard on the executors, then, on the
 * driver, rejects.csv and dataset.json last (or nothing that could pass for data, when too much was
 * rejected). {@link Preparer} decides which folder, and whether to write at all.
 */
final class ShardWriting {
    private static final Logger LOG = LoggerFactory.getLogger(ShardWriting.class);

    private ShardWriting() {
    }

    /**
     * Runs a task for every shard but those an earlier, interrupted prepare of the same fingerprint
     * completed ({@code earlier}), then commits.
     */
    static DatasetInfo write(JavaSparkContext sc, DatasetSource source, String fingerprint,
                                     Map<String, String> settings, DataConfig data, Storage storage, Path dir,
                                     DirectoryLease lease, Map<Integer, ShardTask.Result> earlier) throws IOException {
        long total = source.size(data.limit());
        int n = data.idsPerShard();
        int shards = (int) ((total + n - 1) / n);
        List<ShardTask.Work> work = new ArrayList<>();
        for (int k = 0; k < shards; k++) {
            if (!earlier.containsKey(k)) {
                long from = (long) k * n;
                long to = Math.min(total, from + n);
                work.add(new ShardTask.Work(k, source.slice(from, to), (int) (to - from)));
            }
        }
        if (!earlier.isEmpty()) {
            LOG.info("prepare: resuming an interrupted prepare of {}: {} of {} shards are complete; preparing the"
                    + " other {}", dir, earlier.size(), shards, work.size());
        }
        ShardTask.Layout layout = new ShardTask.Layout(dir.toString(), data.storedChannels(), data.imageSize(),
                source.classes().size(), fingerprint);
        LongAccumulator images = sc.sc().longAccumulator("sparkgan prepare: images");
        LongAccumulator rejected = sc.sc().longAccumulator("sparkgan prepare: rejected");
        Broadcast<Storage> shared = sc.broadcast(storage);
        sc.setJobDescription("sparkgan: prepare " + total + " images into " + work.size() + " shards at " + dir);
        LOG.info("prepare: {} images from {} into {} shards of up to {} images", total, data.source(), work.size(), n);
        List<ShardTask.Result> results = new ArrayList<>(earlier.values());
        long resumed = earlier.values().stream().mapToLong(r -> (r.shard() == null ? 0 : r.shard().count())
                + r.rejects().size()).sum();
        try (PrepareProgress progress = new PrepareProgress(total, shards, resumed, images, rejected)) {
            int tasks = data.prepareTasks() > 0 ? Math.min(data.prepareTasks(), work.size()) : work.size();
            if (!work.isEmpty()) {
                results.addAll(sc.parallelize(work, Math.max(1, tasks))
                        .map(w -> ShardTask.run(w, shared.value(), layout, images, rejected)).collect());
            }
        } finally {
            shared.destroy(false);
        }
        results.sort(Comparator.comparingInt(ShardTask.Result::index));
        for (ShardTask.Result r : results) {
            if (r.failure() != null) {
                throw new DataException(r.failure());
            }
        }
        lease.check();
        removeLeftovers(storage, dir);
        return commit(source, fingerprint, settings, data, storage, dir, results, total);
    }

    /** rejects.csv, then dataset.json (last) unless too much was rejected, in which case the shards go. */
    private static DatasetInfo commit(DatasetSource source, String fingerprint, Map<String, String> settings,
                                      DataConfig data, Storage storage, Path dir, List<ShardTask.Result> results,
                                      long items) throws IOException {
        List<DatasetInfo.Shard> shards = new ArrayList<>();
        List<Reject> rejects = new ArrayList<>();
        long[] labelCounts = new long[Math.max(1, source.classes().size())];
        long accepted = 0;
        for (ShardTask.Result r : results) {
            rejects.addAll(r.rejects());
            if (r.shard() != null) {
                shards.add(r.shard());
                accepted += r.shard().count();
            }
            for (int c = 0; c < r.labelCounts().length; c++) {
                labelCounts[c] += r.labelCounts()[c];
            }
        }
        writeRejects(storage, dir, rejects);
        DataException tooMany = tooManyRejects(rejects.size(), items, data, dir, firstReasons(rejects));
        if (accepted == 0 || tooMany != null) {
            removeShards(storage, dir, shards); // a failed prepare leaves only rejects.csv, nothing to mistake for data
            ShardRecords.remove(storage, dir);
        }
        if (accepted == 0) {
            throw new DataException("prepare: no usable images in " + data.source() + " (" + rejects.size()
                    + " rejected; reasons in " + new Path(dir, "rejects.csv") + ")" + firstReasons(rejects));
        }
        if (tooMany != null) {
            throw tooMany;
        }
        DatasetInfo info = new DatasetInfo(source.name(), data.source(), fingerprint, accepted,
                data.storedChannels(), data.imageSize(), source.classes(),
                source.classes().isEmpty() ? new long[0] : labelCounts, data.idsPerShard(), List.copyOf(shards),
                DatasetInfo.contentHash(shards), rejects.size(), Instant.now().toString(),
                DatasetSettings.preparedBy("prepare"), settings);
        storage.writeString(new Path(dir, DatasetInfo.FILE), info.toJson());
        ShardRecords.remove(storage, dir);
        LOG.info("prepare: {} images in {} shards at {}; {} rejected", accepted, shards.size(), dir, rejects.size());
        return info;
    }

    /** The failure for more rejects than data.max-reject-fraction allows, or null. */
    static DataException tooManyRejects(long rejected, long total, DataConfig data, Path dir, String reasons) {
        double fraction = total == 0 ? 1.0 : (double) rejected / total;
        if (fraction <= data.maxRejectFraction()) {
            return null;
        }
        return new DataException(String.format(Locale.ROOT,
                "prepare: %d of %d images (%.2f%%) were rejected, more than data.max-reject-fraction=%s; reasons in %s%s",
                rejected, total, 100 * fraction, data.maxRejectFraction(), new Path(dir, "rejects.csv"), reasons));
    }

    private static void writeRejects(Storage storage, Path dir, List<Reject> rejects) throws IOException {
        StringBuilder csv = new StringBuilder("path,reason\n");
        for (Reject r : rejects) {
            csv.append(Csv.field(r.path())).append(',').append(Csv.field(r.reason())).append('\n');
        }
        storage.writeString(new Path(dir, "rejects.csv"), csv.toString());
    }

    private static String firstReasons(List<Reject> rejects) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(3, rejects.size()); i++) {
            s.append("\n  ").append(rejects.get(i).path()).append(": ").append(rejects.get(i).reason());
        }
        return s.toString();
    }

    private static void removeShards(Storage storage, Path dir, List<DatasetInfo.Shard> shards) throws IOException {
        for (DatasetInfo.Shard s : shards) {
            storage.delete(new Path(dir, s.file()));
        }
    }

    /** Temporary files of shard writes that never finished (an attempt killed mid-write). */
    private static void removeLeftovers(Storage storage, Path dir) throws IOException {
        for (FileStatus f : storage.list(dir)) {
            if (f.getPath().getName().matches("\\.part-\\d+\\.(npy|json)\\..*\\.tmp")) {
                storage.delete(f.getPath());
            }
        }
    }
}

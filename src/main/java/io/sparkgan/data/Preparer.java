package io.sparkgan.data;

import io.sparkgan.config.DataConfig;
import io.sparkgan.io.DirectoryLease;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The prepare stage: source → validated, resized uint8 shards, {@code rejects.csv} and, last,
 * {@code dataset.json}. Runs on the driver; images are decoded in parallel, written in source order.
 */
public final class Preparer {
    private static final Logger LOG = LoggerFactory.getLogger(Preparer.class);
    private static final int CHUNK = 2048;
    private static final Duration DEFAULT_LEASE_TIMEOUT = Duration.ofSeconds(60);

    private Preparer() {
    }

    /** As {@link #prepare(DataConfig, Storage, Duration)} with the default lease timeout. */
    public static DatasetInfo prepare(DataConfig data, Storage storage) throws IOException {
        return prepare(data, storage, DEFAULT_LEASE_TIMEOUT);
    }

    /**
     * Prepares the dataset, or returns the existing one when its fingerprint matches. Writing takes
     * the lease of data.shards ({@link DirectoryLease}), so two prepares never interleave their files.
     */
    public static DatasetInfo prepare(DataConfig data, Storage storage, Duration leaseTimeout) throws IOException {
        Path dir = Storage.qualify(data.shards());
        DatasetSource source = DatasetSources.open(data, storage);
        String fingerprint = fingerprint(source.fingerprint(), data);
        DatasetInfo existing = reusable(storage, dir, fingerprint, data, true);
        if (existing != null) {
            return existing;
        }
        try (DirectoryLease lease = DirectoryLease.acquire(storage, dir, "prepare", leaseTimeout)) {
            existing = reusable(storage, dir, fingerprint, data, false); // another prepare may have finished meanwhile
            if (existing != null) {
                return existing;
            }
            removeOurFiles(storage, dir);
            storage.mkdirs(dir);
            return write(source, fingerprint, data, storage, dir, lease);
        }
    }

    /** The prepared dataset in {@code dir} when it was made from this source with these settings. */
    private static DatasetInfo reusable(Storage storage, Path dir, String fingerprint, DataConfig data,
                                        boolean sayWhy) throws IOException {
        Path infoPath = new Path(dir, DatasetInfo.FILE);
        if (storage.exists(infoPath)) {
            DatasetInfo existing = DatasetInfo.fromJson(storage.readString(infoPath));
            if (existing.fingerprint().equals(fingerprint) && shardsPresent(storage, dir, existing)) {
                DataException tooMany = tooManyRejects(existing.rejected(), existing.count() + existing.rejected(), data,
                        dir, "");
                if (tooMany != null) {
                    throw tooMany; // data.max-reject-fraction is not part of the fingerprint: check it here too
                }
                LOG.info("prepare: reusing {} images in {} (source and settings unchanged)", existing.count(), dir);
                return existing;
            }
            if (sayWhy) {
                LOG.info("prepare: {} holds a dataset prepared from other input or settings; preparing again", dir);
            }
        }
        return null;
    }

    private static DatasetInfo write(DatasetSource source, String fingerprint, DataConfig data, Storage storage,
                                     Path dir, DirectoryLease lease) throws IOException {
        List<SourceItem> items = source.items(data.limit());
        ShardBuffer buffer = new ShardBuffer(storage, dir, data, source.classes().size());
        List<Reject> rejects = new ArrayList<>();
        long started = System.nanoTime();
        long lastReport = started;
        ForkJoinPool pool = new ForkJoinPool(Math.max(1, Runtime.getRuntime().availableProcessors()));
        try {
            for (int from = 0; from < items.size(); from += CHUNK) {
                List<SourceItem> chunk = items.subList(from, Math.min(items.size(), from + CHUNK));
                List<Prepared> results = pool.submit(() -> chunk.parallelStream().map(SourceItem::load).toList()).get();
                for (Prepared result : results) {
                    if (result instanceof Reject reject) {
                        rejects.add(reject);
                    } else {
                        buffer.add((ImageRecord) result);
                    }
                }
                long now = System.nanoTime();
                if (now - lastReport > 5_000_000_000L || from + CHUNK >= items.size()) {
                    lastReport = now;
                    LOG.info("prepare: {}/{} images read, {} rejected ({} images/s)", from + chunk.size(), items.size(),
                            rejects.size(), Math.round((from + chunk.size()) / ((now - started) / 1e9)));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("prepare was interrupted", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IOException(cause);
        } finally {
            pool.shutdownNow();
        }
        buffer.flush();
        lease.check();
        return commit(source, fingerprint, data, storage, dir, buffer, rejects, items.size());
    }

    /** rejects.csv, then dataset.json (last) unless too much was rejected, in which case the shards go. */
    private static DatasetInfo commit(DatasetSource source, String fingerprint, DataConfig data, Storage storage,
                                      Path dir, ShardBuffer buffer, List<Reject> rejects, int items)
            throws IOException {
        List<DatasetInfo.Shard> shards = buffer.shards;
        writeRejects(storage, dir, rejects);
        DataException tooMany = tooManyRejects(rejects.size(), items, data, dir, firstReasons(rejects));
        if (buffer.accepted == 0 || tooMany != null) {
            removeShards(storage, dir, shards); // a failed prepare leaves only rejects.csv, nothing to mistake for data
        }
        if (buffer.accepted == 0) {
            throw new DataException("prepare: no usable images in " + data.source() + " (" + rejects.size()
                    + " rejected; reasons in " + new Path(dir, "rejects.csv") + ")" + firstReasons(rejects));
        }
        if (tooMany != null) {
            throw tooMany;
        }
        MessageDigest content = Hashes.sha256();
        for (DatasetInfo.Shard s : shards) {
            content.update(s.sha256().getBytes(StandardCharsets.US_ASCII));
        }
        DatasetInfo info = new DatasetInfo(source.name(), data.source(), fingerprint, buffer.accepted,
                data.channels(), data.imageSize(), source.classes(),
                source.classes().isEmpty() ? new long[0] : buffer.labelCounts, List.copyOf(shards),
                HexFormat.of().formatHex(content.digest()), rejects.size(), Instant.now().toString());
        storage.writeString(new Path(dir, DatasetInfo.FILE), info.toJson());
        LOG.info("prepare: {} images in {} shards at {}; {} rejected", buffer.accepted, shards.size(), dir,
                rejects.size());
        return info;
    }

    /** Accepted images, in order, gathered into shards of data.images-per-shard; a full one is written. */
    private static final class ShardBuffer {
        private final Storage storage;
        private final Path dir;
        private final DataConfig data;
        private final int pixels;
        private final byte[] images;
        private final int[] labels;
        private int inShard;
        final List<DatasetInfo.Shard> shards = new ArrayList<>();
        final long[] labelCounts;
        long accepted;

        ShardBuffer(Storage storage, Path dir, DataConfig data, int classes) {
            this.storage = storage;
            this.dir = dir;
            this.data = data;
            this.pixels = data.channels() * data.imageSize() * data.imageSize();
            this.images = new byte[data.imagesPerShard() * pixels];
            this.labels = new int[data.imagesPerShard()];
            this.labelCounts = new long[Math.max(1, classes)];
        }

        void add(ImageRecord image) throws IOException {
            System.arraycopy(image.pixels(), 0, images, inShard * pixels, pixels);
            labels[inShard] = image.label();
            if (image.label() >= 0 && image.label() < labelCounts.length) {
                labelCounts[image.label()]++;
            }
            inShard++;
            accepted++;
            if (inShard == labels.length) {
                flush();
            }
        }

        /** Writes the images gathered so far as the next shard, if there are any. */
        void flush() throws IOException {
            if (inShard > 0) {
                shards.add(writeShard(storage, dir, shards.size(), images, labels, inShard, data));
                inShard = 0;
            }
        }
    }

    private static DatasetInfo.Shard writeShard(Storage storage, Path dir, int index, byte[] images, int[] labels,
                                                int count, DataConfig data) throws IOException {
        int pixels = data.channels() * data.imageSize() * data.imageSize();
        byte[] bytes = Shards.encode(Arrays.copyOf(images, count * pixels), Arrays.copyOf(labels, count),
                count, data.channels(), data.imageSize());
        String file = String.format("part-%05d.npz", index);
        storage.writeAtomically(new Path(dir, file), bytes);
        return new DatasetInfo.Shard(file, count, HexFormat.of().formatHex(Hashes.sha256().digest(bytes)));
    }

    /** The failure for more rejects than data.max-reject-fraction allows, or null. */
    private static DataException tooManyRejects(long rejected, long total, DataConfig data, Path dir, String reasons) {
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

    private static boolean shardsPresent(Storage storage, Path dir, DatasetInfo info) throws IOException {
        for (DatasetInfo.Shard s : info.shards()) {
            if (!storage.exists(new Path(dir, s.file()))) {
                return false;
            }
        }
        return true;
    }

    /** Deletes what an earlier prepare wrote here (dataset.json first, so nothing half-valid remains). */
    private static void removeOurFiles(Storage storage, Path dir) throws IOException {
        Path info = new Path(dir, DatasetInfo.FILE);
        if (storage.exists(info)) {
            storage.delete(info);
        }
        for (FileStatus f : storage.list(dir)) {
            String name = f.getPath().getName();
            if (name.matches("part-\\d+\\.npz") || name.equals("rejects.csv")) { // never _lease/ or others' files
                storage.delete(f.getPath());
            }
        }
    }

    static String fingerprint(String sourceFingerprint, DataConfig data) {
        String settings = "v" + DatasetInfo.FORMAT_VERSION + "|" + sourceFingerprint + "|size=" + data.imageSize()
                + "|channels=" + data.channels() + "|split=" + data.split() + "|limit=" + data.limit()
                + "|convert=" + data.convertChannels() + "|max-pixels=" + data.maxPixels()
                + "|per-shard=" + data.imagesPerShard();
        return HexFormat.of().formatHex(Hashes.sha256().digest(settings.getBytes(StandardCharsets.UTF_8)));
    }
}

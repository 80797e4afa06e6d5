package io.sparkgan.data;

import io.sparkgan.io.BuildInfo;
import io.sparkgan.io.Npy;
import io.sparkgan.io.Storage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;

/**
 * Shard files, {@code part-NNNNN.npy}: one NumPy array of records, each an image's int32 label
 * (little-endian; −1 when the dataset has no labels) followed by its uint8 pixels (channels × size ×
 * size, row-major), i.e. the structured dtype {@code [('label', '<i4'), ('image', '|u1', (C, S, S))]}.
 * A plain {@code .npy} and not an {@code .npz}: NumPy memory-maps it ({@code np.load(f,
 * mmap_mode='r')['image']}), and record i starts at a fixed offset, header + i × record bytes, so any
 * range of images is one positional read. Shard k holds the accepted images of source ids
 * [k·n, (k+1)·n), in id order (n = {@link io.sparkgan.config.DataConfig#idsPerShard}).
 */
public final class Shards {
    private Shards() {
    }

    /** The images and labels of one shard, as stored. */
    public record Content(byte[] images, int[] labels, int count) {}

    public static String fileName(int index) {
        return String.format("part-%05d.npy", index);
    }

    /** The dtype of a record, as a Python literal (what the header names and numpy reads). */
    static String dtype(int channels, int size) {
        return "[('label', '<i4'), ('image', '|u1', (" + channels + ", " + size + ", " + size + "))]";
    }

    /**
     * Writes {@code count} records (label, pixels) from {@code records} as shard {@code file}: the
     * header, then the records, straight from the buffer (no copy), through a temporary file and a
     * rename where the store has one. Returns the file's SHA-256.
     */
    static String write(Storage storage, Path file, byte[] records, int count, int channels, int size)
            throws IOException {
        int recordBytes = 4 + channels * size * size;
        byte[] header = Npy.header(dtype(channels, size), count);
        if (storage.exists(file) && storage.length(file) == header.length + (long) count * recordBytes) {
            // Another attempt of this task (a retry after a lost executor, a speculative copy) wrote it:
            // the same ids give the same bytes. Replacing it would delete it for a moment, under a
            // dataset.json that may already list it.
            MessageDigest sha = Hashes.sha256();
            sha.update(header);
            sha.update(records, 0, count * recordBytes);
            return HexFormat.of().formatHex(sha.digest());
        }
        MessageDigest sha = Hashes.sha256();
        storage.writeAtomically(file, out -> {
            sha.reset();
            DigestOutputStream digest = new DigestOutputStream(out, sha);
            digest.write(header);
            digest.write(records, 0, count * recordBytes);
            digest.flush();
        });
        return HexFormat.of().formatHex(sha.digest());
    }

    /**
     * Writes images already in memory as a prepared dataset (shards of {@code idsPerShard}, unlabelled,
     * then dataset.json), for benchmarks that need real shards on a filesystem without a source to
     * prepare from.
     */
    public static DatasetInfo writeDataset(Storage storage, Path dir, String name, byte[] images, int channels,
                                           int size, int idsPerShard) throws IOException {
        int pixels = channels * size * size;
        int count = images.length / pixels;
        List<DatasetInfo.Shard> shards = new ArrayList<>();
        for (int k = 0; k * (long) idsPerShard < count; k++) {
            int n = (int) Math.min(idsPerShard, count - (long) k * idsPerShard);
            byte[] records = new byte[n * (4 + pixels)];
            ByteBuffer buffer = ByteBuffer.wrap(records).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                buffer.putInt(i * (4 + pixels), -1);
                System.arraycopy(images, (int) ((long) (k * idsPerShard + i) * pixels), records, i * (4 + pixels) + 4,
                        pixels);
            }
            Path file = new Path(dir, fileName(k));
            String sha = write(storage, file, records, n, channels, size);
            shards.add(new DatasetInfo.Shard(k, file.getName(), n, storage.length(file), sha));
        }
        DatasetInfo info = new DatasetInfo(name, "memory", name, count, channels, size, List.of(),
                new long[0], idsPerShard, List.copyOf(shards), DatasetInfo.contentHash(shards), 0,
                Instant.now().toString(), "sparkgan " + BuildInfo.version() + " (images in memory)", Map.of());
        storage.writeString(new Path(dir, DatasetInfo.FILE), info.toJson());
        return info;
    }

    /** Reads a shard and checks it against the SHA-256 that dataset.json recorded for it. */
    public static Content read(Storage storage, Path dir, DatasetInfo.Shard shard, int channels, int size)
            throws IOException {
        Path path = new Path(dir, shard.file());
        byte[] bytes = storage.readBytes(path);
        String sha = HexFormat.of().formatHex(Hashes.sha256().digest(bytes));
        if (!sha.equals(shard.sha256())) {
            throw new DatasetChangedException("shard " + path + " is damaged: its SHA-256 is " + sha + ", dataset.json"
                    + " recorded " + shard.sha256() + ". A prepared dataset is never changed in place; restore the shard"
                    + " and run the same command again, or prepare the dataset again (sparkgan prepare --replace)");
        }
        InputStream in = new ByteArrayInputStream(bytes);
        Npy.Header header = Npy.readHeader(in);
        if (!header.descr().equals(dtype(channels, size)) || header.shape().length != 1
                || header.shape()[0] != shard.count()) {
            throw new DataException("shard " + path + " holds " + header.descr() + " × " + Arrays.toString(header.shape())
                    + ", dataset.json says " + dtype(channels, size) + " × [" + shard.count() + "]; run prepare again");
        }
        return split(bytes, header.dataOffset(), (int) shard.count(), channels * size * size);
    }

    /**
     * Images [from, to) in stored order (the shards laid end to end in dataset.json's order), read
     * from the shards that hold them, each read whole and checked.
     */
    public static byte[] readImages(Storage storage, Path dir, DatasetInfo info, long from, long to)
            throws IOException {
        return readRange(storage, dir, info, from, to).images();
    }

    /** Images [from, to) and their labels, read as {@link #readImages} reads them. */
    public static Content readRange(Storage storage, Path dir, DatasetInfo info, long from, long to)
            throws IOException {
        int pixels = info.channels() * info.size() * info.size();
        int count = Math.toIntExact(to - from);
        byte[] images = new byte[Math.toIntExact((long) count * pixels)];
        int[] labels = new int[count];
        long shardStart = 0;
        for (DatasetInfo.Shard shard : info.shards()) {
            long shardEnd = shardStart + shard.count();
            long a = Math.max(from, shardStart);
            long b = Math.min(to, shardEnd);
            if (a < b) {
                Content content = read(storage, dir, shard, info.channels(), info.size());
                System.arraycopy(content.images(), (int) ((a - shardStart) * pixels), images,
                        (int) ((a - from) * pixels), (int) ((b - a) * pixels));
                System.arraycopy(content.labels(), (int) (a - shardStart), labels, (int) (a - from), (int) (b - a));
            }
            shardStart = shardEnd;
        }
        return new Content(images, labels, count);
    }

    /** Records (label, pixels) into an images array and a labels array. */
    static Content split(byte[] bytes, int offset, int count, int pixels) {
        byte[] images = new byte[count * pixels];
        int[] labels = new int[count];
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            int at = offset + i * (4 + pixels);
            labels[i] = buffer.getInt(at);
            System.arraycopy(bytes, at + 4, images, i * pixels, pixels);
        }
        return new Content(images, labels, count);
    }
}

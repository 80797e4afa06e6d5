package io.sparkgan.data;

import io.sparkgan.io.Storage;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.fs.Path;

/**
 * A split of an idx dataset (the MNIST file format: big-endian header, then uint8 pixels), such as
 * Fashion-MNIST. The idx files are checked as a whole (magic numbers, counts, SHA-256 against the
 * manifest); a damaged idx file stops prepare, since no single image can be set aside from it.
 */
final class IdxSource implements DatasetSource {
    private static final int IMAGES_MAGIC = 0x00000803;
    private static final int LABELS_MAGIC = 0x00000801;

    private final String name;
    private final Path images;
    private final Path labels;
    private final String imagesSha256;
    private final String labelsSha256;
    private final long expectedCount;
    private final List<String> classes;
    private final Storage storage;
    private final int size;
    private final int channels;
    private final boolean convertChannels;

    IdxSource(String name, Path images, Path labels, String imagesSha256, String labelsSha256, long expectedCount,
              List<String> classes, Storage storage, int size, int channels, boolean convertChannels) {
        this.name = name;
        this.images = images;
        this.labels = labels;
        this.imagesSha256 = imagesSha256;
        this.labelsSha256 = labelsSha256;
        this.expectedCount = expectedCount;
        this.classes = classes;
        this.storage = storage;
        this.size = size;
        this.channels = channels;
        this.convertChannels = convertChannels;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<String> classes() {
        return classes;
    }

    @Override
    public String fingerprint() throws IOException {
        if (imagesSha256 != null && labelsSha256 != null) {
            return "idx:" + imagesSha256 + ":" + labelsSha256; // verified against the files when read
        }
        return "idx:" + sha256(images) + ":" + (labels == null ? "-" : sha256(labels));
    }

    @Override
    public List<SourceItem> items(long limit) throws IOException {
        if (channels != 1 && !convertChannels) {
            throw new DataException("data.channels=" + channels + " but " + images + " holds grey images (1 channel);"
                    + " set data.channels=1, or data.convert-channels=true to replicate grey into RGB");
        }
        Pixels pixels = readImages();
        int[] labelValues = readLabels(pixels.count());
        if (expectedCount > 0 && pixels.count() != expectedCount) {
            throw new DataException(images + " holds " + pixels.count() + " images; the manifest expects "
                    + expectedCount);
        }
        int n = limit > 0 ? (int) Math.min(limit, pixels.count()) : pixels.count();
        List<SourceItem> items = new ArrayList<>(n);
        String file = images.getName();
        for (int i = 0; i < n; i++) {
            int index = i;
            items.add(new SourceItem() {
                @Override
                public String path() {
                    return file + "#" + index;
                }

                @Override
                public Prepared load() {
                    return new ImageRecord(path(), pixels.image(index, size, channels), labelValues[index]);
                }
            });
        }
        return items;
    }

    /** An idx3 file's images: {@code count} grey planes of rows × cols. */
    private record Pixels(int count, int rows, int cols, byte[] values) {
        /** Image {@code index}, centre-cropped and resized to size × size, replicated into RGB for 3 channels. */
        byte[] image(int index, int size, int channels) {
            int plane = rows * cols;
            byte[] grey = Arrays.copyOfRange(values, index * plane, (index + 1) * plane);
            byte[] resized = Resizer.centreCropAndResize(grey, 1, cols, rows, size);
            if (channels != 3) {
                return resized;
            }
            byte[] out = new byte[resized.length * 3];
            for (int c = 0; c < 3; c++) {
                System.arraycopy(resized, 0, out, c * resized.length, resized.length);
            }
            return out;
        }
    }

    private Pixels readImages() throws IOException {
        MessageDigest digest = Hashes.sha256();
        Pixels pixels;
        try (DataInputStream in = new DataInputStream(open(images, digest))) {
            int magic = in.readInt();
            if (magic != IMAGES_MAGIC) {
                throw new DataException(images + " is not an idx3 image file (magic 0x" + Integer.toHexString(magic)
                        + ", expected 0x00000803)");
            }
            int count = in.readInt();
            int rows = in.readInt();
            int cols = in.readInt();
            long bytes = (long) count * rows * cols;
            if (count < 0 || rows <= 0 || cols <= 0 || bytes > Integer.MAX_VALUE) {
                throw new DataException(images + " declares " + count + " images of " + rows + "×" + cols
                        + ", which cannot be right");
            }
            pixels = new Pixels(count, rows, cols, new byte[(int) bytes]);
            in.readFully(pixels.values());
            in.transferTo(OutputStream.nullOutputStream()); // digest the whole file
        } catch (EOFException e) {
            throw new DataException(images + " is truncated: it ends before the pixels it declares");
        }
        check(images, digest, imagesSha256);
        return pixels;
    }

    /** The labels of {@code count} images, or -1 for each when the source has no label file. */
    private int[] readLabels(int count) throws IOException {
        int[] values = new int[count];
        if (labels == null) {
            Arrays.fill(values, -1);
            return values;
        }
        MessageDigest digest = Hashes.sha256();
        try (DataInputStream in = new DataInputStream(open(labels, digest))) {
            int magic = in.readInt();
            if (magic != LABELS_MAGIC) {
                throw new DataException(labels + " is not an idx1 label file (magic 0x" + Integer.toHexString(magic) + ")");
            }
            int labelCount = in.readInt();
            if (labelCount != count) {
                throw new DataException(labels + " has " + labelCount + " labels for " + count + " images in " + images);
            }
            byte[] raw = new byte[count];
            in.readFully(raw);
            in.transferTo(OutputStream.nullOutputStream());
            for (int i = 0; i < count; i++) {
                values[i] = raw[i] & 0xff;
            }
        } catch (EOFException e) {
            throw new DataException(labels + " is truncated");
        }
        check(labels, digest, labelsSha256);
        return values;
    }

    private InputStream open(Path path, MessageDigest digest) throws IOException {
        InputStream raw = new DigestInputStream(storage.open(path), digest);
        return path.getName().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : new BufferedInputStream(raw, 1 << 16);
    }

    private static void check(Path path, MessageDigest digest, String expected) {
        if (expected == null) {
            return;
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equalsIgnoreCase(expected)) {
            throw new DataException("checksum mismatch: " + path + " has SHA-256 " + actual + ", the manifest expects "
                    + expected + "; the file is damaged or not the one the manifest describes");
        }
    }

    private String sha256(Path path) throws IOException {
        MessageDigest digest = Hashes.sha256();
        try (InputStream in = new DigestInputStream(storage.open(path), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

}

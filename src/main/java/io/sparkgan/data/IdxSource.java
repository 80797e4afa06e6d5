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
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.fs.Path;

/**
 * A split of an idx dataset (the MNIST file format: big-endian header, then uint8 pixels), such as
 * Fashion-MNIST. The idx files are checked as a whole (magic numbers, counts, SHA-256 against the
 * manifest); a damaged idx file stops prepare, since no single image can be set aside from it. A
 * paired manifest ({@code pairs = "edges"}) stores each image as the target B of a pair whose input A
 * is its {@link EdgeSketch}.
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
    private final boolean edgePairs;
    private Shape shape; // once size() has checked the files

    IdxSource(String name, Path images, Path labels, String imagesSha256, String labelsSha256, long expectedCount,
              List<String> classes, Storage storage, int size, int channels, boolean convertChannels,
              boolean edgePairs) {
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
        this.edgePairs = edgePairs;
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
    public long size(long limit) throws IOException {
        if (channels != 1 && !convertChannels) {
            throw new DataException("data.channels=" + channels + " but " + images + " holds grey images (1 channel);"
                    + " set data.channels=1, or data.convert-channels=true to replicate grey into RGB");
        }
        if (shape == null) {
            shape = readImages();
            readLabels(shape.count());
            if (expectedCount > 0 && shape.count() != expectedCount) {
                throw new DataException(images + " holds " + shape.count() + " images; the manifest expects "
                        + expectedCount);
            }
        }
        return limit > 0 ? Math.min(limit, shape.count()) : shape.count();
    }

    @Override
    public SourceSlice slice(long from, long to) {
        if (shape == null) {
            throw new IllegalStateException("size() checks the idx files first");
        }
        return new Slice(images.toString(), labels == null ? null : labels.toString(), shape, size, channels,
                edgePairs, (int) from, (int) to);
    }

    /** An idx3 file's shape: {@code count} grey planes of rows × cols. */
    private record Shape(int count, int rows, int cols) implements java.io.Serializable {}

    /**
     * Images [from, to) of an idx split, read on an executor: the files were checked whole on the
     * driver ({@link #size}), so a slice reads only up to its last image.
     */
    private record Slice(String images, String labels, Shape shape, int size, int channels, boolean edgePairs,
                         int from, int to) implements SourceSlice {
        @Override
        public void load(Storage storage, Consumer<Prepared> sink) throws IOException {
            int plane = shape.rows() * shape.cols();
            int[] labelValues = new int[to - from];
            Arrays.fill(labelValues, -1);
            if (labels != null) {
                try (InputStream in = openListed(storage, new Path(labels))) {
                    in.skipNBytes(8L + from);
                    byte[] raw = in.readNBytes(to - from);
                    for (int i = 0; i < raw.length; i++) {
                        labelValues[i] = raw[i] & 0xff;
                    }
                }
            }
            String file = new Path(images).getName();
            try (InputStream in = openListed(storage, new Path(images))) {
                in.skipNBytes(16L + (long) from * plane);
                byte[] grey = new byte[plane];
                for (int i = from; i < to; i++) {
                    if (in.readNBytes(grey, 0, plane) < plane) {
                        throw new DataException(images + " is shorter than it was when prepare checked it");
                    }
                    sink.accept(new ImageRecord(file + "#" + i, image(grey), labelValues[i - from]));
                }
            }
        }

        /** A file the driver checked: not finding it here means the source is not where executors see it. */
        private static InputStream openListed(Storage storage, Path path) throws IOException {
            try {
                return open(storage, path, null);
            } catch (java.io.FileNotFoundException e) {
                throw new DataException(ImageFolderSource.notOnExecutor(path.toString(), path));
            }
        }

        /**
         * One grey plane, centre-cropped and resized to size × size, replicated into RGB for 3 channels;
         * for edge pairs, its sketch's planes first.
         */
        private byte[] image(byte[] grey) {
            byte[] resized = Resizer.centreCropAndResize(grey, 1, shape.cols(), shape.rows(), size);
            if (!edgePairs) {
                return replicated(resized, channels);
            }
            byte[] a = replicated(EdgeSketch.of(resized, size), channels);
            byte[] b = replicated(resized, channels);
            byte[] pair = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, pair, a.length, b.length);
            return pair;
        }

        private static byte[] replicated(byte[] plane, int channels) {
            if (channels == 1) {
                return plane;
            }
            byte[] out = new byte[plane.length * channels];
            for (int c = 0; c < channels; c++) {
                System.arraycopy(plane, 0, out, c * plane.length, plane.length);
            }
            return out;
        }
    }

    /** Checks the image file whole (magic, declared shape, length, SHA-256) without keeping its pixels. */
    private Shape readImages() throws IOException {
        MessageDigest digest = Hashes.sha256();
        Shape shape;
        try (DataInputStream in = new DataInputStream(open(storage, images, digest))) {
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
            shape = new Shape(count, rows, cols);
            // read, not skipped: the digest sees only what is read, and a short file must show
            if (in.transferTo(OutputStream.nullOutputStream()) < bytes) {
                throw new EOFException();
            }
        } catch (EOFException e) {
            throw new DataException(images + " is truncated: it ends before the pixels it declares");
        }
        check(images, digest, imagesSha256);
        return shape;
    }

    /** The labels of {@code count} images, or -1 for each when the source has no label file. */
    private int[] readLabels(int count) throws IOException {
        int[] values = new int[count];
        if (labels == null) {
            Arrays.fill(values, -1);
            return values;
        }
        MessageDigest digest = Hashes.sha256();
        try (DataInputStream in = new DataInputStream(open(storage, labels, digest))) {
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

    private static InputStream open(Storage storage, Path path, MessageDigest digest) throws IOException {
        InputStream raw = digest == null ? storage.open(path) : new DigestInputStream(storage.open(path), digest);
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

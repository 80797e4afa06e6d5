package io.sparkgan.io;

import java.io.FileNotFoundException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SerializableWritable;

/**
 * Every read and write of the job goes through here, on the Hadoop FileSystem API, so that
 * {@code file://}, {@code hdfs://} and {@code s3a://} behave alike. Serializable so executors can use
 * it (the Hadoop configuration travels inside Spark's {@link SerializableWritable}).
 */
public final class Storage implements Serializable {
    private final SerializableWritable<Configuration> hadoopConf;

    public Storage(Configuration conf) {
        this.hadoopConf = new SerializableWritable<>(conf);
    }

    public static Storage local() {
        return new Storage(new Configuration());
    }

    public Configuration conf() {
        return hadoopConf.value();
    }

    /**
     * Turns what a user wrote into a fully qualified path: a URI with a scheme stays as it is, a plain
     * path becomes an absolute {@code file:} URI resolved against the driver's working directory (so
     * executors elsewhere read the same place).
     */
    public static Path qualify(String location) {
        URI uri;
        try {
            uri = new URI(location.replace(" ", "%20"));
        } catch (URISyntaxException e) {
            uri = null;
        }
        if (uri != null && uri.getScheme() != null && uri.getScheme().length() > 1) {
            return new Path(location);
        }
        String absolute = Paths.get(location).toAbsolutePath().normalize().toUri().getPath();
        if (absolute.length() > 1 && absolute.endsWith("/")) {
            absolute = absolute.substring(0, absolute.length() - 1); // a directory's URI ends in '/'
        }
        return new Path("file", null, absolute);
    }

    public FileSystem fs(Path path) {
        try {
            FileSystem fs = path.getFileSystem(conf());
            if (fs instanceof LocalFileSystem) {
                fs.setWriteChecksum(false); // no .crc side files in users' local run directories
            }
            return fs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the filesystem of " + path + ": " + e.getMessage(), e);
        }
    }

    public boolean exists(Path path) throws IOException {
        return fs(path).exists(path);
    }

    public boolean isDirectory(Path path) throws IOException {
        try {
            return fs(path).getFileStatus(path).isDirectory();
        } catch (FileNotFoundException e) {
            return false;
        }
    }

    public long length(Path path) throws IOException {
        return fs(path).getFileStatus(path).getLen();
    }

    public FileStatus status(Path path) throws IOException {
        return fs(path).getFileStatus(path);
    }

    public InputStream open(Path path) throws IOException {
        return fs(path).open(path);
    }

    /**
     * Reads {@code length} bytes at {@code position} of a file into {@code into} at {@code offset}: a
     * positional read (one ranged GET on S3A, a seek on HDFS and local files).
     */
    public void readRange(Path path, long position, byte[] into, int offset, int length) throws IOException {
        try (FSDataInputStream in = fs(path).open(path)) {
            in.readFully(position, into, offset, length);
        }
    }

    public byte[] readBytes(Path path) throws IOException {
        try (InputStream in = open(path)) {
            return in.readAllBytes();
        }
    }

    public String readString(Path path) throws IOException {
        return new String(readBytes(path), StandardCharsets.UTF_8);
    }

    /**
     * Reads a file through a FileSystem instance of its own, closed afterwards: for reads before a job's
     * Spark context exists, whose settings must not stay behind in Hadoop's FileSystem cache (keyed by
     * scheme, authority and user, not by settings), where the job's own storage would be given them.
     *
     * @throws FileNotFoundException when there is no such file
     */
    public String readStringUncached(Path path) throws IOException {
        try (FileSystem fs = FileSystem.newInstance(path.toUri(), conf());
             InputStream in = fs.open(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Files (not directories) directly under {@code dir}, sorted by name. */
    public List<FileStatus> listFiles(Path dir) throws IOException {
        List<FileStatus> files = new ArrayList<>();
        for (FileStatus s : fs(dir).listStatus(dir)) {
            if (s.isFile()) {
                files.add(s);
            }
        }
        files.sort(Comparator.comparing(s -> s.getPath().getName()));
        return files;
    }

    /** Entries directly under {@code dir}, sorted by name; empty if it does not exist. */
    public List<FileStatus> list(Path dir) throws IOException {
        FileSystem fs = fs(dir);
        if (!fs.exists(dir)) {
            return List.of();
        }
        List<FileStatus> all = new ArrayList<>(List.of(fs.listStatus(dir)));
        all.sort(Comparator.comparing(s -> s.getPath().getName()));
        return all;
    }

    public void mkdirs(Path dir) throws IOException {
        fs(dir).mkdirs(dir);
    }

    public void delete(Path path) throws IOException {
        fs(path).delete(path, true);
    }

    /** The object stores, where rename is a copy and an object only appears once its upload completes. */
    public boolean isObjectStore(Path path) {
        String scheme = path.toUri().getScheme();
        return scheme != null && (scheme.startsWith("s3") || scheme.equals("gs") || scheme.startsWith("abfs")
                || scheme.startsWith("wasb") || scheme.equals("oss"));
    }

    /**
     * Creates {@code path} with {@code bytes} unless it exists, as one step that concurrent creators
     * cannot both win; readers see no file or the complete one. Returns whether this call created it.
     * Atomic on the local filesystem (a hard link, which fails if the name is taken) and on HDFS (a
     * rename, which fails if the destination exists). Not on S3 with Hadoop 3.3's S3A, which has no
     * conditional write: there, two creators within moments of each other can both succeed.
     */
    public boolean createExclusive(Path path, byte[] bytes) throws IOException {
        FileSystem fs = fs(path);
        if (isObjectStore(path)) {
            if (fs.exists(path)) {
                return false;
            }
            try (FSDataOutputStream out = fs.create(path, false)) {
                out.write(bytes);
            }
            return true;
        }
        Path tmp = new Path(path.getParent(), "." + path.getName() + "." + UUID.randomUUID() + ".tmp");
        fs.mkdirs(path.getParent());
        try {
            writeAndClose(fs.create(tmp, false), out -> out.write(bytes));
            if ("file".equals(fs.getUri().getScheme())) {
                // Hadoop's local rename replaces an existing file; a hard link never does
                try {
                    Files.createLink(Paths.get(fs.makeQualified(path).toUri()), Paths.get(fs.makeQualified(tmp).toUri()));
                    return true;
                } catch (FileAlreadyExistsException e) {
                    return false;
                }
            }
            return fs.rename(tmp, path);
        } finally {
            if (fs.exists(tmp)) {
                fs.delete(tmp, false);
            }
        }
    }

    /**
     * Writes, syncs and closes {@code out}, reporting the first failure. Not try-with-resources: an
     * HDFS stream whose write failed (a full disk, a quota) throws that same exception again on
     * close, and suppressing an exception in itself is an IllegalArgumentException that hides both.
     */
    private static void writeAndClose(FSDataOutputStream out, Writer writer) throws IOException {
        IOException failure = null;
        try {
            writer.write(new CloseShield(out));
            out.hsync();
        } catch (IOException e) {
            failure = e;
        }
        try {
            out.close();
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            } else if (e != failure) {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Writes {@code bytes} so that readers see either the old file or the complete new one. */
    public void writeAtomically(Path path, byte[] bytes) throws IOException {
        writeAtomically(path, out -> out.write(bytes));
    }

    public void writeString(Path path, String text) throws IOException {
        writeAtomically(path, text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Keeps writers from closing our stream: some (SameDiff's save) close what they are given, and the
     * stream must stay open until it is synced and closed here.
     */
    private static final class CloseShield extends FilterOutputStream {
        CloseShield(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }

    /** Something that writes a file's content to a stream. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /**
     * Writes through a temporary sibling and a rename on filesystems with atomic rename (local, HDFS);
     * directly on object stores, where a PUT becomes visible only when complete.
     */
    public void writeAtomically(Path path, Writer writer) throws IOException {
        FileSystem fs = fs(path);
        if (isObjectStore(path)) {
            try (FSDataOutputStream out = fs.create(path, true)) {
                writer.write(new CloseShield(out));
            }
            return;
        }
        Path tmp = new Path(path.getParent(), "." + path.getName() + "." + UUID.randomUUID() + ".tmp");
        try {
            writeAndClose(fs.create(tmp, false), writer);
            if (fs.exists(path)) {
                fs.delete(path, false);
            }
            if (!fs.rename(tmp, path)) {
                throw new IOException("could not rename " + tmp + " to " + path);
            }
        } finally {
            if (fs.exists(tmp)) {
                fs.delete(tmp, false);
            }
        }
    }
}

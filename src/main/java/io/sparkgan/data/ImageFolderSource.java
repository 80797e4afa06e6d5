package io.sparkgan.data;

import io.sparkgan.io.Storage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * PNG/JPEG images on any Hadoop filesystem: either every image under a folder (labelled by the name of
 * its first-level subfolder, as torchvision's ImageFolder does), or the rows of a CSV manifest with
 * columns {@code path} (relative to the manifest, or a URI), and optionally {@code label} and
 * {@code sha256}.
 */
final class ImageFolderSource implements DatasetSource {
    private static final List<String> IMAGE_EXTENSIONS = List.of(".png", ".jpg", ".jpeg");
    /** Side files that may sit beside images and are not images: ignored, not rejected. */
    private static final List<String> SIDECAR_EXTENSIONS = List.of(".csv", ".json", ".txt", ".md", ".conf");

    private record Entry(Path path, String label, String sha256, long length, long modified, String problem) {}

    private final String name;
    private final Storage storage;
    private final ImageDecoder decoder;
    private final List<Entry> entries;
    private final List<String> classes;
    private final String listingHash;

    private ImageFolderSource(String name, Storage storage, ImageDecoder decoder, List<Entry> entries, String extraHash) {
        this.name = name;
        this.storage = storage;
        this.decoder = decoder;
        this.entries = entries;
        TreeSet<String> labels = new TreeSet<>();
        for (Entry e : entries) {
            if (e.label() != null && !e.label().isEmpty()) {
                labels.add(e.label());
            }
        }
        this.classes = List.copyOf(labels);
        MessageDigest digest = Hashes.sha256();
        digest.update(extraHash.getBytes(StandardCharsets.UTF_8));
        for (Entry e : entries) {
            digest.update((e.path() + "\t" + e.label() + "\t" + e.sha256() + "\t" + e.length() + "\t" + e.modified() + "\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        this.listingHash = HexFormat.of().formatHex(digest.digest());
    }

    /** Every file under {@code root}, recursively, in path order. */
    static ImageFolderSource folder(Path root, Storage storage, ImageDecoder decoder) throws IOException {
        return folder(root, root.getName(), storage, decoder);
    }

    /** As {@link #folder(Path, Storage, ImageDecoder)}, the dataset called {@code name}. */
    static ImageFolderSource folder(Path root, String name, Storage storage, ImageDecoder decoder) throws IOException {
        List<Entry> entries = "file".equals(root.toUri().getScheme()) ? localFiles(root) : listedFiles(root, storage);
        entries.sort((a, b) -> a.path().toString().compareTo(b.path().toString()));
        return new ImageFolderSource(name, storage, decoder, entries, "folder:" + root);
    }

    /** Hadoop's recursive listing: on S3A, flat pages of 1,000 keys; on HDFS, one call per directory. */
    private static List<Entry> listedFiles(Path root, Storage storage) throws IOException {
        List<Entry> entries = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> files = storage.fs(root).listFiles(root, true);
        while (files.hasNext()) {
            LocatedFileStatus status = files.next();
            if (!ignored(status.getPath().getName())) {
                entries.add(entry(root, status.getPath(), status.getLen(), status.getModificationTime(), null));
            }
        }
        return entries;
    }

    /** A file Hadoop's listing would not have shown: a reject, in no class. */
    private static Entry unlisted(Path path, String problem) {
        return new Entry(path, null, null, -1, -1, problem);
    }

    private static Entry entry(Path root, Path path, long length, long modified, String problem) {
        String rootString = root.toUri().getPath();
        String relative = path.toUri().getPath().substring(Math.min(path.toUri().getPath().length(), rootString.length()));
        if (relative.startsWith("/")) {
            relative = relative.substring(1);
        }
        int slash = relative.indexOf('/');
        String label = slash > 0 ? relative.substring(0, slash) : null;
        if (problem == null && !hasExtension(path.getName(), IMAGE_EXTENSIONS)) {
            problem = "not an image file name (expected .png, .jpg or .jpeg)";
        }
        return new Entry(path, label, null, length, modified, problem);
    }

    /**
     * A local folder, walked with java.nio rather than Hadoop's listing: without the native Hadoop
     * library, Hadoop's local filesystem starts an {@code ls} process per file to read its permissions
     * (minutes for 100,000 files). The walk also sees what Hadoop's listing leaves out without a word,
     * kept as rejects with the reason: names whose bytes do not decode in the JVM's file name encoding
     * (Hadoop paths are strings, and the string, holding U+FFFD, names no file), and symbolic links to
     * nothing.
     */
    private static List<Entry> localFiles(Path root) throws IOException {
        java.nio.file.Path base = Paths.get(root.toUri());
        if (!Files.isDirectory(base)) {
            throw new FileNotFoundException(root + " is not a directory");
        }
        String rawBase = base.toUri().getRawPath().replaceFirst("/$", "");
        List<Entry> entries = new ArrayList<>();
        Files.walkFileTree(base, java.util.EnumSet.of(java.nio.file.FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(java.nio.file.Path file, BasicFileAttributes attributes) throws IOException {
                if (ignored(file.getFileName().toString())) {
                    return FileVisitResult.CONTINUE;
                }
                String relative = base.relativize(file).toString();
                // Path(scheme, authority, path) reads no scheme into a ':' in the name, unlike Path(parent, child)
                Path path = new Path(root.toUri().getScheme(), root.toUri().getAuthority(),
                        root.toUri().getPath().replaceFirst("/$", "") + "/" + relative);
                boolean brokenLink = attributes.isSymbolicLink() && !Files.exists(file);
                if (relative.indexOf('\uFFFD') >= 0) {
                    entries.add(unlisted(path, undecodableName(file.toUri().getRawPath().substring(rawBase.length() + 1))));
                } else if (brokenLink) {
                    entries.add(unlisted(path, "broken symbolic link: it points at " + Files.readSymbolicLink(file)
                            + ", which does not exist"));
                } else if (attributes.isRegularFile()) {
                    entries.add(entry(root, path, attributes.size(), attributes.lastModifiedTime().toMillis(), null));
                } else if (!attributes.isDirectory()) {
                    entries.add(unlisted(path, "not a regular file (a FIFO, socket or device)"));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(java.nio.file.Path file, IOException e) {
                if (Files.isSymbolicLink(file) && !Files.exists(file)) {
                    String relative = base.relativize(file).toString();
                    Path path = new Path(root.toUri().getScheme(), root.toUri().getAuthority(),
                            root.toUri().getPath().replaceFirst("/$", "") + "/" + relative);
                    String target;
                    try {
                        target = Files.readSymbolicLink(file).toString();
                    } catch (IOException ex) {
                        target = "?";
                    }
                    entries.add(unlisted(path, "broken symbolic link: it points at " + target + ", which does not exist"));
                    return FileVisitResult.CONTINUE;
                }
                entries.add(unlisted(new Path(root.toUri().getScheme(), root.toUri().getAuthority(),
                        file.toUri().getPath()), "unreadable: " + e.getMessage()));
                return FileVisitResult.CONTINUE;
            }
        });
        return entries;
    }

    private static boolean ignored(String file) {
        return file.startsWith(".") || file.startsWith("_") || hasExtension(file, SIDECAR_EXTENSIONS);
    }

    /**
     * A file the driver listed that this executor cannot find: not the image's fault, so not a reject.
     * Either the source is on storage this executor does not see, or the file went while prepare ran.
     */
    static String notOnExecutor(String name, Path path) {
        String where = "executor " + org.apache.spark.SparkEnv.get().executorId() + " on "
                + org.apache.spark.SparkEnv.get().blockManager().blockManagerId().host();
        return "prepare: " + name + " was listed by the driver but " + where + " cannot find it"
                + ("file".equals(path.toUri().getScheme())
                ? ": a file: source must be at the same path on every machine that runs executors (a shared"
                + " mount), or on hdfs:// or s3a://; or the file was deleted while prepare ran"
                : ": it was deleted while prepare ran; run prepare again");
    }

    /** Why a name with bytes that the JVM could not decode cannot be read; {@code raw} is percent-encoded. */
    private static String undecodableName(String raw) {
        String encoding = System.getProperty("sun.jnu.encoding", "UTF-8");
        if (encoding.equalsIgnoreCase("UTF-8")) {
            return "file name is not valid UTF-8 (its bytes, percent-encoded: " + raw + "); Hadoop paths are Unicode "
                    + "strings, so it cannot be opened: rename it to UTF-8";
        }
        return "file name cannot be decoded in the JVM's file name encoding " + encoding + " (its bytes, percent-encoded: "
                + raw + "): run with a UTF-8 locale (e.g. LANG=C.UTF-8) or rename it";
    }

    /** The rows of a CSV manifest; rows pointing at missing files become rejects when loaded. */
    static ImageFolderSource manifest(Path csv, Storage storage, ImageDecoder decoder) throws IOException {
        String text = storage.readString(csv);
        List<List<String>> rows = Csv.parse(text);
        if (rows.isEmpty()) {
            throw new DataException(csv + " is empty: expected a header row with at least a 'path' column");
        }
        List<String> header = rows.get(0).stream().map(h -> h.trim().toLowerCase(Locale.ROOT)).toList();
        int pathColumn = header.indexOf("path");
        int labelColumn = header.indexOf("label");
        int shaColumn = header.indexOf("sha256");
        if (pathColumn < 0) {
            throw new DataException(csv + " line 1: expected a header with a 'path' column (and optionally 'label', "
                    + "'sha256'), found " + rows.get(0));
        }
        List<Entry> entries = new ArrayList<>();
        for (int line = 1; line < rows.size(); line++) {
            List<String> row = rows.get(line);
            if (row.size() == 1 && row.get(0).isBlank()) {
                continue;
            }
            if (row.size() != header.size()) {
                entries.add(new Entry(new Path(csv + "#line" + (line + 1)), null, null, -1, -1,
                        "manifest line " + (line + 1) + " has " + row.size() + " fields, the header has " + header.size()));
                continue;
            }
            String location = row.get(pathColumn).trim();
            Path path;
            try {
                path = location.contains("://") || location.startsWith("/")
                        ? Storage.qualify(location) : new Path(csv.getParent(), location);
            } catch (IllegalArgumentException e) {
                entries.add(new Entry(new Path(csv + "#line" + (line + 1)), null, null, -1, -1, "manifest line "
                        + (line + 1) + ": '" + location + "' is not a usable path: " + e.getMessage()));
                continue;
            }
            String label = labelColumn >= 0 ? row.get(labelColumn).trim() : null;
            String sha = shaColumn >= 0 ? row.get(shaColumn).trim().toLowerCase(Locale.ROOT) : null;
            long length = -1;
            long modified = -1;
            String problem = null;
            try {
                FileStatus status = storage.status(path);
                length = status.getLen();
                modified = status.getModificationTime();
            } catch (FileNotFoundException e) {
                problem = location.indexOf('\uFFFD') >= 0
                        ? "missing: the manifest's path is not valid UTF-8 (bytes shown as U+FFFD); write the manifest in UTF-8"
                        : "missing: the manifest lists it but no such file exists";
            }
            if (problem == null && sha != null && !sha.isEmpty() && !sha.matches("[0-9a-f]{64}")) {
                problem = "manifest line " + (line + 1) + ": sha256 '" + sha + "' is not a SHA-256 (64 hex digits)";
            }
            entries.add(new Entry(path, label, sha == null || sha.isEmpty() ? null : sha, length, modified, problem));
        }
        String name = csv.getName().replaceFirst("\\.csv$", "");
        return new ImageFolderSource(name, storage, decoder, entries, "csv:" + HexFormat.of().formatHex(
                Hashes.sha256().digest(text.getBytes(StandardCharsets.UTF_8))));
    }

    private static boolean hasExtension(String file, List<String> extensions) {
        String lower = file.toLowerCase(Locale.ROOT);
        return extensions.stream().anyMatch(lower::endsWith);
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
    public String fingerprint() {
        return "images:" + listingHash;
    }

    @Override
    public long size(long limit) {
        return limit > 0 ? Math.min(limit, entries.size()) : entries.size();
    }

    @Override
    public SourceSlice slice(long from, long to) {
        Map<String, Integer> labelIndex = new TreeMap<>();
        for (int i = 0; i < classes.size(); i++) {
            labelIndex.put(classes.get(i), i);
        }
        List<Item> items = new ArrayList<>((int) (to - from));
        for (Entry e : entries.subList((int) from, (int) to)) {
            int label = e.label() == null || e.label().isEmpty() ? -1 : labelIndex.get(e.label());
            items.add(new Item(e.path(), label, e.sha256(), e.problem()));
        }
        return new Slice(items, decoder);
    }

    /** What an executor needs of an entry to load it. */
    private record Item(Path path, int label, String sha256, String problem) implements java.io.Serializable {}

    private record Slice(List<Item> items, ImageDecoder decoder) implements SourceSlice {
        @Override
        public void load(Storage storage, Consumer<Prepared> sink) {
            for (Item item : items) {
                sink.accept(load(storage, item));
            }
        }

        private Prepared load(Storage storage, Item item) {
            Path path = item.path();
            String name = path.toString(); // as rejects.csv names it
            if (item.problem() != null) {
                return new Reject(name, item.problem());
            }
            byte[] bytes;
            try {
                bytes = storage.readBytes(path);
            } catch (FileNotFoundException ex) {
                throw new DataException(notOnExecutor(name, path));
            } catch (IOException | RuntimeException ex) {
                // Hadoop's local filesystem cannot even name the checksum file of a name holding ':'
                return new Reject(name, path.getName().contains(":")
                        ? "unreadable: Hadoop paths cannot hold ':' in a file name, rename it (" + ex.getMessage() + ")"
                        : "unreadable: " + ex.getMessage());
            }
            if (item.sha256() != null) {
                String actual = HexFormat.of().formatHex(Hashes.sha256().digest(bytes));
                if (!actual.equals(item.sha256())) {
                    return new Reject(name, "checksum mismatch: SHA-256 is " + actual + ", the manifest says "
                            + item.sha256());
                }
            }
            return decoder.decode(name, bytes, item.label());
        }
    }
}

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
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
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
        List<Entry> entries = new ArrayList<>();
        Set<String> listed = new HashSet<>();
        String rootString = root.toUri().getPath();
        RemoteIterator<LocatedFileStatus> files = storage.fs(root).listFiles(root, true);
        while (files.hasNext()) {
            LocatedFileStatus status = files.next();
            Path path = status.getPath();
            listed.add(path.toUri().getPath());
            String file = path.getName();
            if (ignored(file)) {
                continue;
            }
            String relative = path.toUri().getPath().substring(Math.min(path.toUri().getPath().length(), rootString.length()));
            if (relative.startsWith("/")) {
                relative = relative.substring(1);
            }
            int slash = relative.indexOf('/');
            String label = slash > 0 ? relative.substring(0, slash) : null;
            String problem = hasExtension(file, IMAGE_EXTENSIONS) ? null
                    : "not an image file name (expected .png, .jpg or .jpeg)";
            entries.add(new Entry(path, label, null, status.getLen(), status.getModificationTime(), problem));
        }
        if ("file".equals(root.toUri().getScheme())) {
            entries.addAll(unlistedLocalFiles(root, listed));
        }
        entries.sort((a, b) -> a.path().toString().compareTo(b.path().toString()));
        return new ImageFolderSource(root.getName(), storage, decoder, entries, "folder:" + root);
    }

    private static boolean ignored(String file) {
        return file.startsWith(".") || file.startsWith("_") || hasExtension(file, SIDECAR_EXTENSIONS);
    }

    /**
     * Local files that Hadoop's listing leaves out without a word, as rejects with the reason: names
     * whose bytes do not decode in the JVM's file name encoding (Hadoop paths are strings, and the
     * string, holding U+FFFD, names no file), and symbolic links to nothing.
     */
    private static List<Entry> unlistedLocalFiles(Path root, Set<String> listed) throws IOException {
        java.nio.file.Path base = Paths.get(root.toUri());
        String rawBase = base.toUri().getRawPath().replaceFirst("/$", "");
        List<Entry> unlisted = new ArrayList<>();
        Files.walkFileTree(base, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(java.nio.file.Path file, BasicFileAttributes attributes) throws IOException {
                boolean brokenLink = attributes.isSymbolicLink() && !Files.exists(file);
                if (listed.contains(file.toString()) || ignored(file.getFileName().toString())
                        || !(brokenLink || Files.isRegularFile(file))) {
                    return FileVisitResult.CONTINUE;
                }
                String relative = base.relativize(file).toString();
                String problem;
                if (relative.indexOf('\uFFFD') >= 0) {
                    problem = undecodableName(file.toUri().getRawPath().substring(rawBase.length() + 1));
                } else if (brokenLink) {
                    problem = "broken symbolic link: it points at " + Files.readSymbolicLink(file) + ", which does not exist";
                } else {
                    return FileVisitResult.CONTINUE; // created after Hadoop listed the folder: the next prepare takes it
                }
                // Path(scheme, authority, path) reads no scheme into a ':' in the name, unlike Path(parent, child)
                Path path = new Path(root.toUri().getScheme(), root.toUri().getAuthority(), root.toUri().getPath() + "/" + relative);
                unlisted.add(new Entry(path, null, null, -1, -1, problem));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(java.nio.file.Path file, IOException e) {
                return FileVisitResult.CONTINUE; // what cannot be read here, Hadoop's listing has reported already
            }
        });
        return unlisted;
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
    public List<SourceItem> items(long limit) {
        Map<String, Integer> labelIndex = new TreeMap<>();
        for (int i = 0; i < classes.size(); i++) {
            labelIndex.put(classes.get(i), i);
        }
        List<SourceItem> items = new ArrayList<>();
        for (Entry e : entries) {
            if (limit > 0 && items.size() >= limit) {
                break;
            }
            int label = e.label() == null || e.label().isEmpty() ? -1 : labelIndex.get(e.label());
            items.add(new SourceItem() {
                @Override
                public String path() {
                    return e.path().toString();
                }

                @Override
                public Prepared load() {
                    if (e.problem() != null) {
                        return new Reject(path(), e.problem());
                    }
                    byte[] bytes;
                    try {
                        bytes = storage.readBytes(e.path());
                    } catch (FileNotFoundException ex) {
                        return new Reject(path(), "missing: no such file");
                    } catch (IOException | RuntimeException ex) {
                        // Hadoop's local filesystem cannot even name the checksum file of a name holding ':'
                        return new Reject(path(), e.path().getName().contains(":")
                                ? "unreadable: Hadoop paths cannot hold ':' in a file name, rename it (" + ex.getMessage() + ")"
                                : "unreadable: " + ex.getMessage());
                    }
                    if (e.sha256() != null) {
                        String actual = HexFormat.of().formatHex(Hashes.sha256().digest(bytes));
                        if (!actual.equals(e.sha256())) {
                            return new Reject(path(), "checksum mismatch: SHA-256 is " + actual + ", the manifest says "
                                    + e.sha256());
                        }
                    }
                    return decoder.decode(path(), bytes, label);
                }
            });
        }
        return items;
    }
}

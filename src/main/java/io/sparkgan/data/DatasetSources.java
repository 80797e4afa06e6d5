package io.sparkgan.data;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import io.sparkgan.config.DataConfig;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/** Turns {@code data.source} into a {@link DatasetSource}: a dataset manifest, a CSV manifest or a folder. */
public final class DatasetSources {
    private DatasetSources() {
    }

    public static DatasetSource open(DataConfig data, Storage storage) throws IOException {
        String source = data.source();
        ImageDecoder decoder = new ImageDecoder(data.imageSize(), data.channels(), data.maxPixels(), data.convertChannels(),
                data.paired());
        String lower = source.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".conf")) {
            return fromDatasetManifest(source, data, storage);
        }
        Path path = Storage.qualify(source);
        if (!storage.exists(path)) {
            throw new DataException("data.source " + source + " does not exist (looked for " + path + "); expected a dataset "
                    + "manifest (.conf), a CSV manifest (.csv), an image folder or an idx folder");
        }
        if (lower.endsWith(".csv")) {
            return ImageFolderSource.manifest(path, storage, decoder);
        }
        if (!storage.isDirectory(path)) {
            throw new DataException("data.source " + source + " is a file; expected a dataset manifest (.conf), a CSV "
                    + "manifest (.csv), an image folder or an idx folder");
        }
        if (data.paired()) {
            return alignedFolder(path, data, storage, decoder);
        }
        IdxSource idx = idxFolder(path, data, storage);
        return idx != null ? idx : ImageFolderSource.folder(path, storage, decoder);
    }

    /** A folder holding {@code <split>-images-idx3-ubyte[.gz]} and the matching labels file. */
    private static IdxSource idxFolder(Path dir, DataConfig data, Storage storage) throws IOException {
        Path images = null;
        Path labels = null;
        List<String> prefixes = data.split().equals("test") ? List.of("test", "t10k") : List.of(data.split());
        for (FileStatus f : storage.listFiles(dir)) {
            String file = f.getPath().getName();
            for (String prefix : prefixes) {
                if (file.startsWith(prefix + "-images-idx3-ubyte")) {
                    images = f.getPath();
                } else if (file.startsWith(prefix + "-labels-idx1-ubyte")) {
                    labels = f.getPath();
                }
            }
        }
        if (images == null) {
            return null;
        }
        return new IdxSource(dir.getName(), images, labels, null, null, 0, List.of(), storage,
                data.imageSize(), data.channels(), data.convertChannels(), false);
    }

    /**
     * pix2pix's layout: the data.split folder (train/) of files holding A and B side by side, named
     * after the dataset's folder; its sub-folders, if any, are class labels as in an image folder.
     */
    private static DatasetSource alignedFolder(Path root, DataConfig data, Storage storage, ImageDecoder decoder)
            throws IOException {
        Path split = new Path(root, data.split());
        if (!storage.isDirectory(split)) {
            List<String> inside = new ArrayList<>();
            for (FileStatus f : storage.list(root)) {
                inside.add(f.getPath().getName() + (f.isDirectory() ? "/" : ""));
            }
            throw new DataException("data.source " + data.source() + ": data.layout = aligned reads pix2pix's layout, a "
                    + data.split() + "/ folder (data.split) of files that each hold an input A and its target B side"
                    + " by side, with optional val/ and test/ beside it; " + root + " has no " + data.split()
                    + "/ (it holds " + (inside.isEmpty() ? "nothing" : String.join(", ", inside.stream().sorted().limit(8).toList())
                    + (inside.size() > 8 ? ", …" : "")) + ")");
        }
        return ImageFolderSource.folder(split, root.getName(), storage, decoder);
    }

    /**
     * The settings of a paired dataset's held-out split, prepared beside the training one: test/, else
     * val/ (an aligned folder's sub-folders, or a paired manifest's splits). Null for single images, a
     * CSV manifest, or a source without either.
     */
    public static DataConfig heldOut(DataConfig data, Storage storage) throws IOException {
        if (!data.paired() || data.source().toLowerCase(Locale.ROOT).endsWith(".csv")) {
            return null;
        }
        boolean manifest = data.source().toLowerCase(Locale.ROOT).endsWith(".conf");
        Config splits = manifest ? readManifest(data.source(), storage).resolve().getConfig("splits") : null;
        for (String split : List.of("test", "val")) {
            if (split.equals(data.split())) {
                continue;
            }
            boolean there = manifest ? splits.hasPath(split)
                    : storage.isDirectory(new Path(Storage.qualify(data.source()), split));
            if (there) {
                return data.withSplit(split);
            }
        }
        return null;
    }

    private static IdxSource fromDatasetManifest(String source, DataConfig data, Storage storage) throws IOException {
        Config manifest = readManifest(source, storage).resolve();
        String where = "dataset manifest " + source;
        String format = manifest.getString("format");
        String layout = manifest.hasPath("layout") ? manifest.getString("layout") : "images";
        if (!layout.equals(data.layout().key())) {
            throw new DataException(where + " holds " + (layout.equals("aligned") ? "pairs" : "single images")
                    + " (its layout is " + layout + "), and data.layout is " + data.layout().key() + "; set data.layout = "
                    + layout + " to prepare it");
        }
        boolean edgePairs = manifest.hasPath("pairs");
        if (edgePairs && !manifest.getString("pairs").equals("edges")) {
            throw new DataException(where + ": pairs = '" + manifest.getString("pairs") + "' is not supported (expected"
                    + " edges: an edge sketch of each image as its input)");
        }
        if (layout.equals("aligned") && !edgePairs) {
            throw new DataException(where + ": an aligned idx manifest says how its pairs are made (pairs = edges)");
        }
        if (!format.equals("idx")) {
            throw new DataException(where + ": format '" + format + "' is not supported (expected idx)");
        }
        if (!manifest.hasPath("splits." + data.split())) {
            throw new DataException(where + " has no split '" + data.split() + "' (data.split); it has "
                    + manifest.getObject("splits").keySet());
        }
        Config split = manifest.getConfig("splits." + data.split());
        List<String> searched = new ArrayList<>();
        if (manifest.hasPath("search-env")) {
            String env = System.getenv(manifest.getString("search-env"));
            if (env != null && !env.isBlank()) {
                searched.add(env);
            }
        }
        searched.addAll(manifest.getStringList("search-paths"));
        for (String dir : searched) {
            Path images = new Path(Storage.qualify(dir), split.getString("images"));
            Path labels = new Path(Storage.qualify(dir), split.getString("labels"));
            if (storage.exists(images) && storage.exists(labels)) {
                return new IdxSource(manifest.getString("name"), images, labels, split.getString("images-sha256"),
                        split.getString("labels-sha256"), split.getLong("count"), manifest.getStringList("classes"),
                        storage, data.imageSize(), data.channels(), data.convertChannels(), edgePairs);
            }
        }
        throw new DataException(where + ": the " + data.split() + " files (" + split.getString("images") + ", "
                + split.getString("labels") + ") are not in any of " + searched
                + (manifest.hasPath("install-hint") ? "; install them: " + manifest.getString("install-hint") : ""));
    }

    /** The manifest file as given, else the one of that name bundled in the jar under data-manifests/. */
    private static Config readManifest(String source, Storage storage) throws IOException {
        ConfigParseOptions options = ConfigParseOptions.defaults().setOriginDescription(source);
        java.nio.file.Path local = Paths.get(source.startsWith("file:") ? source.substring(5) : source);
        if (!source.contains("://") && Files.isRegularFile(local)) {
            return ConfigFactory.parseFile(local.toFile(), options);
        }
        if (source.contains("://")) {
            Path path = Storage.qualify(source);
            if (storage.exists(path)) {
                return ConfigFactory.parseString(storage.readString(path), options);
            }
        }
        String bundled = "/data-manifests/" + local.getFileName();
        try (InputStream in = DatasetSources.class.getResourceAsStream(bundled)) {
            if (in != null) {
                try (Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
                    return ConfigFactory.parseReader(reader, options);
                }
            }
        }
        throw new DataException("data.source " + source + ": no such dataset manifest (looked in the working directory"
                + " and among the manifests bundled in the jar)");
    }
}

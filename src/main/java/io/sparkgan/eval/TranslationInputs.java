package io.sparkgan.eval;

import io.sparkgan.io.Storage;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * What {@code translate} maps: every file under {@code --in}, in path order, each with the relative path
 * its output takes ({@code .png} for its extension). Files that cannot be images, and files whose
 * outputs would land on the same name ({@code x.jpg} and {@code x.png}), are set aside with the reason.
 * Names starting with {@code .} or {@code _} are not inputs at all, as for Hadoop's own readers (checksums,
 * {@code _SUCCESS} markers), and not listed.
 */
record TranslationInputs(List<Input> inputs, List<Skipped> skipped) {
    /** A file to map: its place in the listing (its dropout slot), where it is, and where its output goes. */
    record Input(long index, String path, String relative, String output) implements Serializable {}

    /** A file not mapped, and why. */
    record Skipped(String relative, String reason) implements Serializable {}

    private static final List<String> IMAGE_EXTENSIONS = List.of(".png", ".jpg", ".jpeg");

    static TranslationInputs list(Storage storage, Path in) throws IOException {
        if (!storage.exists(in) || !storage.isDirectory(in)) {
            throw new EvaluationException("--in " + in + ": " + (storage.exists(in) ? "a file" : "no such directory")
                    + "; expected a folder of PNG or JPEG images (any Hadoop filesystem)");
        }
        String base = in.toUri().getPath().replaceAll("/+$", "");
        List<String> relatives = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> files = storage.fs(in).listFiles(in, true);
        while (files.hasNext()) {
            String path = files.next().getPath().toUri().getPath();
            String relative = path.substring(Math.min(path.length(), base.length() + 1));
            String name = relative.substring(relative.lastIndexOf('/') + 1);
            if (!name.startsWith(".") && !name.startsWith("_")) {
                relatives.add(relative);
            }
        }
        relatives.sort(null);
        Map<String, List<String>> byOutput = new HashMap<>();
        for (String r : relatives) {
            if (image(r)) {
                byOutput.computeIfAbsent(output(r), k -> new ArrayList<>()).add(r);
            }
        }
        List<Input> inputs = new ArrayList<>();
        List<Skipped> skipped = new ArrayList<>();
        for (String r : relatives) {
            if (!image(r)) {
                skipped.add(new Skipped(r, "not an image file name (expected .png, .jpg or .jpeg)"));
            } else if (byOutput.get(output(r)).size() > 1) {
                skipped.add(new Skipped(r, "its output " + output(r) + " is also the output of "
                        + String.join(" and ", byOutput.get(output(r)).stream().filter(o -> !o.equals(r)).toList())
                        + "; rename one"));
            } else {
                inputs.add(new Input(inputs.size(), new Path(in, r).toString(), r, output(r)));
            }
        }
        return new TranslationInputs(List.copyOf(inputs), List.copyOf(skipped));
    }

    private static boolean image(String relative) {
        String lower = relative.toLowerCase(Locale.ROOT);
        return IMAGE_EXTENSIONS.stream().anyMatch(lower::endsWith);
    }

    /** The output's relative path: the input's, with {@code .png} for its extension. */
    static String output(String relative) {
        return relative.substring(0, relative.lastIndexOf('.')) + ".png";
    }
}

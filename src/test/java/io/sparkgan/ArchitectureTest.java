package io.sparkgan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package rules of docs/architecture.md, checked on the sources: each package imports only the
 * packages its row allows, so the layering the document describes is the one the code has.
 */
class ArchitectureTest {
    private static final Path MAIN = Path.of("src/main/java/io/sparkgan");
    private static final Set<String> ALL = Set.of("io", "model", "config", "data", "runtime", "step", "distributed",
            "train", "eval", "bench", "cli");
    /** Copied from the table in docs/architecture.md; change both together. */
    private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("io", Set.of()),
            Map.entry("model", Set.of()),
            Map.entry("config", Set.of("model")),
            Map.entry("data", Set.of("config", "io", "model")),
            Map.entry("runtime", Set.of("config", "model")),
            Map.entry("step", Set.of("config", "io", "model")),
            Map.entry("distributed", Set.of("config", "data", "model", "runtime", "step")),
            Map.entry("train", Set.of("config", "data", "distributed", "io", "model", "runtime", "step")),
            Map.entry("eval", Set.of("config", "data", "io", "model", "runtime", "train")),
            Map.entry("bench", Set.of("config", "data", "distributed", "eval", "io", "model", "runtime", "step",
                    "train")),
            Map.entry("cli", ALL));
    /**
     * Inside {@code model}: the tape knows no layer, layers know no network, and the networks are
     * compositions of layers. Copied from docs/architecture.md ("The model package"); change both together.
     */
    private static final Map<String, Set<String>> MODEL_ALLOWED = Map.of(
            "model", Set.of("model.networks", "model.tape"),
            "model.tape", Set.of("model"),
            "model.layers", Set.of("model", "model.tape"),
            "model.networks", Set.of("model", "model.layers", "model.tape"));
    /** A reference to one of our classes: group 1 the top package, group 2 its sub-packages (may be empty). */
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.sparkgan\\.(\\w+)((?:\\.[a-z]\\w*)*)\\.[A-Z]");

    @Test
    void everyPackageImportsOnlyWhatDocsArchitectureAllows() throws IOException {
        List<String> violations = new ArrayList<>();
        Set<String> packages = new TreeSet<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Path relative = MAIN.relativize(file);
                String pkg = relative.getName(0).toString();
                String fullPackage = relative.getParent().toString().replace('/', '.');
                packages.add(pkg);
                Matcher m = REFERENCE.matcher(read(file));
                while (m.find()) {
                    String used = m.group(1);
                    String usedFull = m.group(1) + m.group(2);
                    if (!used.equals(pkg) && !ALLOWED.getOrDefault(pkg, Set.of()).contains(used)) {
                        violations.add(relative + " uses io.sparkgan." + used);
                    } else if (pkg.equals("model") && !usedFull.equals(fullPackage) && used.equals("model")
                            && !MODEL_ALLOWED.getOrDefault(fullPackage, Set.of()).contains(usedFull)) {
                        violations.add(relative + " uses io.sparkgan." + usedFull);
                    }
                }
            }
        }
        assertEquals(new TreeSet<>(ALLOWED.keySet()), packages, "every package has a row in docs/architecture.md");
        assertEquals(List.of(), violations);
    }

    @Test
    void theDocumentNamesEveryPackageAndEveryFileOnTheStepPath() throws IOException {
        String doc = read(Path.of("docs/architecture.md"));
        for (String pkg : ALL) {
            assertTrue(doc.contains("| `" + pkg + "` |"), "docs/architecture.md has a row for " + pkg);
        }
        Matcher m = Pattern.compile("`((?:\\w+/)+)(\\w+)`").matcher(doc); // `pkg/File`, `model/layers/Dense`, `model/tape`
        int named = 0;
        while (m.find()) {
            named++;
            Path named0 = MAIN.resolve(m.group(1) + m.group(2));
            assertTrue(Files.exists(Path.of(named0 + ".java")) || Files.isDirectory(named0),
                    "docs/architecture.md names " + m.group() + ", which does not exist");
        }
        assertTrue(named >= 10, "the step's path is named file by file");
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

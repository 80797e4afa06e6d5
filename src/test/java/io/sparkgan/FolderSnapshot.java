package io.sparkgan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Every file under a folder and its bytes, to show that a command left the folder byte for byte as it was. */
public record FolderSnapshot(Path dir, Map<String, byte[]> files) {

    public static FolderSnapshot of(Path dir) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                files.put(dir.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return new FolderSnapshot(dir, files);
    }

    /** Fails unless the folder holds the same files with the same bytes as when this snapshot was taken. */
    public void assertUnchanged() throws IOException {
        Map<String, byte[]> now = of(dir).files();
        assertEquals(files.keySet(), now.keySet(), "the files under " + dir);
        files.forEach((name, bytes) -> assertArrayEquals(bytes, now.get(name), name));
    }
}

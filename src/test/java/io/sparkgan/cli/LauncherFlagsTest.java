package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** bin/sparkgan and the test JVM must pass Spark the same Java 17 flags. */
class LauncherFlagsTest {
    private static Set<String> flags(String text) {
        Set<String> found = new TreeSet<>();
        Matcher m = Pattern.compile("--add-opens=[\\w./]+=ALL-UNNAMED|-Djdk\\.reflect\\.useDirectMethodHandle=false").matcher(text);
        while (m.find()) {
            found.add(m.group());
        }
        return found;
    }

    @Test
    void launcherAndPomAgree() throws IOException {
        Set<String> script = flags(Files.readString(Path.of("bin/sparkgan")));
        Set<String> pom = flags(Files.readString(Path.of("pom.xml")));
        assertEquals(16, pom.size(), pom.toString());
        assertEquals(pom, script);
        assertTrue(script.contains("--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"));
    }
}

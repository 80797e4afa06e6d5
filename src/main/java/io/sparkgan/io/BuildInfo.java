package io.sparkgan.io;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Versions fixed at build time (sparkgan-build.properties, filled in by Maven). */
public final class BuildInfo {
    private static final Properties PROPERTIES = load();

    private BuildInfo() {
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/sparkgan-build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // leave empty: versions are reported as "unknown"
        }
        return p;
    }

    public static String get(String key) {
        String value = PROPERTIES.getProperty(key, "unknown");
        return value.startsWith("${") ? "unknown" : value;
    }

    /** e.g. 0.1.0-SNAPSHOT (02733d1). */
    public static String version() {
        String commit = get("git.commit");
        return get("version") + " (" + commit + ("true".equals(get("git.dirty")) ? ", uncommitted changes" : "") + ")";
    }
}

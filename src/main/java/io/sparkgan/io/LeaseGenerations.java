package io.sparkgan.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * What a directory's {@code _lease/} holds (see {@link DirectoryLease}): generation numbers, their
 * holders ({@code generation-N.json}), heartbeats, release marks and takeover points, read at once.
 */
/** What {@code _lease/} holds: generation numbers, their holders, heartbeats and marks. */
record LeaseGenerations(Storage storage, Path dir, long newest, Set<String> names) {
    static LeaseGenerations read(Storage storage, Path dir) throws IOException {
        Set<String> names = new HashSet<>();
        long newest = 0;
        for (FileStatus s : storage.list(new Path(dir, DirectoryLease.DIR))) {
            String name = s.getPath().getName();
            names.add(name);
            if (name.matches("generation-\\d{8}\\.json")) {
                newest = Math.max(newest, Long.parseLong(name.substring(11, 19)));
            }
        }
        return new LeaseGenerations(storage, dir, newest, names);
    }

    boolean released(long generation) {
        return names.contains(name(generation, ".released"));
    }

    JsonNode holder(long generation) throws IOException {
        return Json.parse(storage.readString(file(dir, generation, ".json")));
    }

    String heartbeat(long generation) throws IOException {
        Path beat = file(dir, generation, ".heartbeat");
        return storage.exists(beat) ? storage.readString(beat) : "";
    }

    TreeMap<Long, Long> takeovers() throws IOException {
        TreeMap<Long, Long> takeovers = new TreeMap<>();
        for (long g = 1; g <= newest; g++) {
            if (names.contains(name(g, ".takeover"))) {
                takeovers.put(g, Long.parseLong(storage.readString(file(dir, g, ".takeover")).strip()));
            }
        }
        return takeovers;
    }

    static Path file(Path dir, long generation, String suffix) {
        return new Path(new Path(dir, DirectoryLease.DIR), name(generation, suffix));
    }

    static String name(long generation, String suffix) {
        return String.format(Locale.ROOT, "generation-%08d%s", generation, suffix);
    }
}

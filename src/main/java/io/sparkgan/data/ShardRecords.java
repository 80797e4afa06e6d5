package io.sparkgan.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/**
 * What each finished prepare task reports, also kept beside its shard ({@code part-NNNNN.json}: the
 * prepare's fingerprint, the shard's size and checksum, its rejects and label counts), so that a
 * prepare killed part-way (the driver, or the whole application) is resumed by the next one: the
 * shards of the same fingerprint that are complete are kept, and only the others are prepared. The
 * records go once {@code dataset.json} is written.
 */
final class ShardRecords {
    private ShardRecords() {
    }

    static Path path(Path dir, int index) {
        return new Path(dir, String.format("part-%05d.json", index));
    }

    /** Written after the shard itself: a record means its shard is complete. */
    static void write(Storage storage, Path dir, String fingerprint, ShardTask.Result result) throws IOException {
        ObjectNode root = Json.object();
        root.put("fingerprint", fingerprint);
        root.put("index", result.index());
        if (result.shard() != null) {
            root.putObject("shard").put("file", result.shard().file()).put("count", result.shard().count())
                    .put("bytes", result.shard().bytes()).put("sha256", result.shard().sha256());
        }
        ArrayNode labels = root.putArray("label_counts");
        for (long c : result.labelCounts()) {
            labels.add(c);
        }
        ArrayNode rejects = root.putArray("rejects");
        for (Reject r : result.rejects()) {
            rejects.addArray().add(r.path()).add(r.reason());
        }
        storage.writeString(path(dir, result.index()), Json.line(root));
    }

    /**
     * The finished tasks of an earlier prepare with this fingerprint whose shards are still there
     * whole (the length the record gives), by shard index.
     */
    static Map<Integer, ShardTask.Result> read(Storage storage, Path dir, String fingerprint) throws IOException {
        Map<Integer, ShardTask.Result> done = new TreeMap<>();
        if (!storage.exists(dir)) {
            return done;
        }
        for (FileStatus f : storage.list(dir)) {
            if (!f.getPath().getName().matches("part-\\d+\\.json")) {
                continue;
            }
            JsonNode root;
            try {
                root = Json.parse(storage.readString(f.getPath()));
            } catch (RuntimeException e) {
                continue; // not one of ours, or damaged: that shard is prepared again
            }
            if (!fingerprint.equals(root.path("fingerprint").asText())) {
                continue;
            }
            int index = root.path("index").asInt();
            DatasetInfo.Shard shard = null;
            JsonNode s = root.path("shard");
            if (!s.isMissingNode()) {
                shard = new DatasetInfo.Shard(index, s.path("file").asText(), s.path("count").asLong(),
                        s.path("bytes").asLong(), s.path("sha256").asText());
                Path file = new Path(dir, shard.file());
                if (!storage.exists(file) || storage.length(file) != shard.bytes()) {
                    continue;
                }
            }
            long[] labels = new long[root.path("label_counts").size()];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = root.path("label_counts").get(i).asLong();
            }
            List<Reject> rejects = new ArrayList<>();
            root.path("rejects").forEach(r -> rejects.add(new Reject(r.get(0).asText(), r.get(1).asText())));
            done.put(index, new ShardTask.Result(index, shard, labels, rejects, null));
        }
        return done;
    }

    /** The records go once dataset.json holds what they said. */
    static void remove(Storage storage, Path dir) throws IOException {
        for (FileStatus f : storage.list(dir)) {
            if (f.getPath().getName().matches("part-\\d+\\.json")) {
                storage.delete(f.getPath());
            }
        }
    }
}

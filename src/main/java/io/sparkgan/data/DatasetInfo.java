package io.sparkgan.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.io.Json;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The content of {@code <data.shards>/dataset.json}, which is written last and so marks a complete
 * prepared dataset. Pixels are stored as uint8 and normalised to [-1, 1] when read (x / 127.5 − 1).
 */
public record DatasetInfo(String name, String source, String fingerprint, long count, int channels, int size,
                          List<String> classes, long[] labelCounts, List<Shard> shards, String contentSha256,
                          long rejected, String createdAt) implements Serializable {

    public static final int FORMAT_VERSION = 1;
    public static final String FILE = "dataset.json";

    /** One shard file: {@code images} uint8 [n, c, s, s] and {@code labels} int32 [n] in an .npz. */
    public record Shard(String file, long count, String sha256) implements Serializable {}

    public String toJson() {
        ObjectNode root = Json.object();
        root.put("format_version", FORMAT_VERSION);
        root.put("name", name);
        root.put("source", source);
        root.put("source_fingerprint", fingerprint);
        root.put("count", count);
        ArrayNode shape = root.putArray("shape");
        shape.add(channels).add(size).add(size);
        root.put("dtype", "uint8");
        root.put("normalisation", "x / 127.5 - 1");
        ArrayNode classArray = root.putArray("classes");
        classes.forEach(classArray::add);
        ArrayNode counts = root.putArray("label_counts");
        for (long c : labelCounts) {
            counts.add(c);
        }
        ArrayNode shardArray = root.putArray("shards");
        for (Shard s : shards) {
            shardArray.addObject().put("file", s.file()).put("count", s.count()).put("sha256", s.sha256());
        }
        root.put("content_sha256", contentSha256);
        root.put("rejected", rejected);
        root.put("created_at", createdAt);
        return Json.pretty(root);
    }

    public static DatasetInfo fromJson(String text) {
        JsonNode root = Json.parse(text);
        if (root.path("format_version").asInt() != FORMAT_VERSION) {
            throw new DataException("dataset.json has format_version " + root.path("format_version")
                    + "; this build reads version " + FORMAT_VERSION + " (prepare the dataset again)");
        }
        List<String> classes = new ArrayList<>();
        root.path("classes").forEach(c -> classes.add(c.asText()));
        JsonNode countsNode = root.path("label_counts");
        long[] counts = new long[countsNode.size()];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = countsNode.get(i).asLong();
        }
        List<Shard> shards = new ArrayList<>();
        root.path("shards").forEach(s -> shards.add(new Shard(s.path("file").asText(), s.path("count").asLong(),
                s.path("sha256").asText())));
        JsonNode shape = root.path("shape");
        return new DatasetInfo(root.path("name").asText(), root.path("source").asText(),
                root.path("source_fingerprint").asText(), root.path("count").asLong(), shape.get(0).asInt(),
                shape.get(1).asInt(), List.copyOf(classes), counts, List.copyOf(shards),
                root.path("content_sha256").asText(), root.path("rejected").asLong(), root.path("created_at").asText());
    }
}

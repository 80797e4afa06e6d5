package io.sparkgan.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.io.Json;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The content of {@code <data.shards>/dataset.json}, which is written last and so marks a complete
 * prepared dataset. Pixels are stored as uint8 and normalised to [-1, 1] when read (x / 127.5 − 1).
 *
 * @param idsPerShard n: shard k holds the accepted images of source ids [k·n, (k+1)·n)
 * @param preparedBy what wrote it: sparkgan's version, the command, the host and the user (empty in a
 *     dataset.json written before it was recorded)
 * @param settings the settings its bytes follow from, by configuration key ({@link DatasetSettings};
 *     empty before they were recorded)
 */
public record DatasetInfo(String name, String source, String fingerprint, long count, int channels, int size,
                          List<String> classes, long[] labelCounts, long idsPerShard, List<Shard> shards,
                          String contentSha256, long rejected, String createdAt, String preparedBy,
                          Map<String, String> settings) implements Serializable {

    /** 1: .npz shards (images and labels arrays); 2: .npy record shards ({@link Shards}). */
    public static final int FORMAT_VERSION = 2;
    public static final String FILE = "dataset.json";

    /**
     * One shard file ({@link Shards}).
     *
     * @param index k: the shard of source ids [k·n, (k+1)·n); a range with no accepted image has no shard
     * @param count the images in it (fewer than n where images were rejected)
     * @param bytes the file's length
     */
    public record Shard(int index, String file, long count, long bytes, String sha256) implements Serializable {}

    /** A dataset.json in a format this build does not read: an earlier one, or a newer build's. */
    public static final class OtherFormat extends DataException {
        public final int version;

        OtherFormat(int version) {
            super("dataset.json has format_version " + version + "; this build reads version " + FORMAT_VERSION
                    + " (prepare the dataset again)");
            this.version = version;
        }
    }

    /** The dataset's content hash: SHA-256 over its shards' SHA-256s, in order. */
    static String contentHash(List<Shard> shards) {
        MessageDigest content = Hashes.sha256();
        for (Shard s : shards) {
            content.update(s.sha256().getBytes(StandardCharsets.US_ASCII));
        }
        return HexFormat.of().formatHex(content.digest());
    }

    /** Whether each record is a pair (data.layout = aligned): A's channels, then B's, in {@link #channels}. */
    public boolean paired() {
        return "aligned".equals(settings.get("data.layout"));
    }

    /** Channels of one image: a record's, or one half's of a pair. */
    public int imageChannels() {
        return paired() ? channels / 2 : channels;
    }

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
        root.put("record_dtype", Shards.dtype(channels, size));
        root.put("ids_per_shard", idsPerShard);
        root.put("normalisation", "x / 127.5 - 1");
        if (paired()) { // what a NumPy reader needs to split a record's image into its pair
            root.put("layout", "aligned");
            root.put("pair", "image[:" + channels / 2 + "] is A, image[" + channels / 2 + ":] is B");
        }
        ArrayNode classArray = root.putArray("classes");
        classes.forEach(classArray::add);
        ArrayNode counts = root.putArray("label_counts");
        for (long c : labelCounts) {
            counts.add(c);
        }
        ArrayNode shardArray = root.putArray("shards");
        for (Shard s : shards) {
            shardArray.addObject().put("index", s.index()).put("file", s.file()).put("count", s.count())
                    .put("bytes", s.bytes()).put("sha256", s.sha256());
        }
        root.put("content_sha256", contentSha256);
        root.put("rejected", rejected);
        root.put("created_at", createdAt);
        root.put("prepared_by", preparedBy);
        ObjectNode settingsNode = root.putObject("settings");
        settings.forEach(settingsNode::put);
        return Json.pretty(root);
    }

    public static DatasetInfo fromJson(String text) {
        JsonNode root = Json.parse(text);
        if (root.path("format_version").asInt() != FORMAT_VERSION) {
            throw new OtherFormat(root.path("format_version").asInt());
        }
        List<String> classes = new ArrayList<>();
        root.path("classes").forEach(c -> classes.add(c.asText()));
        JsonNode countsNode = root.path("label_counts");
        long[] counts = new long[countsNode.size()];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = countsNode.get(i).asLong();
        }
        List<Shard> shards = new ArrayList<>();
        root.path("shards").forEach(s -> shards.add(new Shard(s.path("index").asInt(), s.path("file").asText(),
                s.path("count").asLong(), s.path("bytes").asLong(), s.path("sha256").asText())));
        Map<String, String> settings = new LinkedHashMap<>();
        root.path("settings").fields().forEachRemaining(e -> settings.put(e.getKey(), e.getValue().asText()));
        JsonNode shape = root.path("shape");
        return new DatasetInfo(root.path("name").asText(), root.path("source").asText(),
                root.path("source_fingerprint").asText(), root.path("count").asLong(), shape.get(0).asInt(),
                shape.get(1).asInt(), List.copyOf(classes), counts, root.path("ids_per_shard").asLong(),
                List.copyOf(shards),
                root.path("content_sha256").asText(), root.path("rejected").asLong(), root.path("created_at").asText(),
                root.path("prepared_by").asText(""), Collections.unmodifiableMap(settings));
    }
}

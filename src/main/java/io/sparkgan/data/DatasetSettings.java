package io.sparkgan.data;

import io.sparkgan.config.DataConfig;
import io.sparkgan.io.BuildInfo;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The settings a prepared dataset's bytes follow from, as dataset.json records them (by configuration
 * key), and the refusal that names them when data.shards holds a dataset prepared otherwise.
 */
final class DatasetSettings {
    /** The source's content (its listing or files' checksums), by the source's own fingerprint. */
    static final String SOURCE_CONTENT = "source-content";
    private static final String LAYOUT = "data.layout";

    private DatasetSettings() {
    }

    static Map<String, String> of(DataConfig data, String sourceFingerprint) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("data.source", data.source());
        s.put(SOURCE_CONTENT, sourceFingerprint);
        s.put("data.image-size", String.valueOf(data.imageSize()));
        s.put("data.channels", String.valueOf(data.channels()));
        s.put("data.split", data.split());
        s.put("data.limit", String.valueOf(data.limit()));
        s.put("data.convert-channels", String.valueOf(data.convertChannels()));
        s.put("data.max-pixels", String.valueOf(data.maxPixels()));
        s.put("images per shard", String.valueOf(data.idsPerShard()));
        if (data.paired()) { // absent for single images, as in every dataset.json from before pairs
            s.put(LAYOUT, data.layout().key());
        }
        return s;
    }

    /** What a dataset.json says of its settings; one written before they were recorded, what it has. */
    static Map<String, String> of(DatasetInfo info) {
        if (!info.settings().isEmpty()) {
            return info.settings();
        }
        Map<String, String> s = new LinkedHashMap<>();
        s.put("data.source", info.source());
        s.put("data.image-size", String.valueOf(info.size()));
        s.put("data.channels", String.valueOf(info.imageChannels()));
        s.put("images per shard", String.valueOf(info.idsPerShard()));
        return s;
    }

    /** "sparkgan 0.9.0 prepare on host-7 (user alice)": what dataset.json's prepared_by says. */
    static String preparedBy(String command) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "unknown";
        }
        return "sparkgan " + BuildInfo.version() + " " + command + " on " + host + " (user "
                + System.getProperty("user.name") + ")";
    }

    /**
     * The message for data.shards holding another dataset than the one asked for: both named, how they
     * differ, and the ways on.
     */
    static String refusal(PreparedDataset there, Map<String, String> asked, String askedFingerprint) {
        DatasetInfo info = there.info();
        Map<String, String> thereSettings = of(info);
        List<String> differences = new ArrayList<>();
        String thereLayout = thereSettings.getOrDefault(LAYOUT, "images");
        String askedLayout = asked.getOrDefault(LAYOUT, "images");
        if (!thereLayout.equals(askedLayout)) { // recorded only for pairs
            differences.add(LAYOUT + " " + thereLayout + " there, " + askedLayout + " asked for");
        }
        for (Map.Entry<String, String> e : asked.entrySet()) {
            String was = e.getKey().equals(LAYOUT) ? null : thereSettings.get(e.getKey());
            if (was != null && !was.equals(e.getValue())) {
                differences.add(e.getKey().equals(SOURCE_CONTENT)
                        ? "the source's content changed since (its fingerprint was " + abbreviated(was) + ", is "
                        + abbreviated(e.getValue()) + ")"
                        : e.getKey() + " " + was + " there, " + e.getValue() + " asked for");
            }
        }
        if (differences.isEmpty()) {
            differences.add("fingerprint " + abbreviated(info.fingerprint()) + " there, " + abbreviated(askedFingerprint)
                    + " asked for" + (info.settings().isEmpty() ? " (its dataset.json, from an earlier sparkgan, does"
                    + " not record data.split, data.limit, data.convert-channels, data.max-pixels or the source's"
                    + " content: one of them differs)" : ""));
        }
        return "data.shards " + there.describe() + " holds another dataset than the one asked for, and a prepared"
                + " dataset is never replaced silently.\n"
                + "  there:     " + summary(thereSettings) + "; " + info.count() + " images, prepared " + info.createdAt()
                + (info.preparedBy().isEmpty() ? "" : " by " + info.preparedBy()) + "\n"
                + "  asked for: " + summary(asked) + "\n"
                + "  differing: " + String.join("; ", differences) + "\n"
                + "Point data.shards at another folder, or replace the dataset with `sparkgan prepare --replace` and"
                + " the same settings: jobs reading it now finish on the generation they started with.";
    }

    private static String summary(Map<String, String> s) {
        String channels = s.getOrDefault("data.channels", "?");
        return s.getOrDefault("data.source", "?") + ", " + s.getOrDefault("data.image-size", "?") + "×"
                + s.getOrDefault("data.image-size", "?") + ", " + channels + (channels.equals("1") ? " channel" : " channels")
                + (s.containsKey(LAYOUT) ? " " + s.get(LAYOUT) + " pairs" : "")
                + ", " + s.getOrDefault("images per shard", "?") + " images per shard";
    }

    private static String abbreviated(String hash) {
        return hash.length() > 12 ? hash.substring(0, 12) + "…" : hash;
    }
}

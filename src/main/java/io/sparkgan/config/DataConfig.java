package io.sparkgan.config;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * What to prepare and how, and how training reads it (the {@code data} section of reference.conf).
 *
 * @param cache where training keeps the shards: in executor memory, streamed from the filesystem, or
 *     whichever suits the dataset's size
 * @param lanes the most lanes (separate streams of the dataset) a global batch is drawn from
 * @param shuffleWindow bytes of images shuffled together within a lane
 * @param layout what a source file holds: one image, or a pair side by side (data.layout)
 * @param direction which half of a pair is the generator's input (data.direction); not part of the
 *     bytes: a prepared pair keeps both halves, A then B
 */
public record DataConfig(String source, String shards, int imageSize, int channels, String split, long limit,
                         long shardSize, int prepareTasks, double maxRejectFraction, long maxPixels,
                         boolean convertChannels, Cache cache, int lanes, long shuffleWindow, Layout layout,
                         Direction direction)
        implements Serializable {

    /** Where training keeps the shards (data.cache). */
    public enum Cache { AUTO, MEMORY, STREAM }

    /**
     * What each file of the source holds (data.layout): one image ("images"), or an input and a target
     * side by side, A left and B right ("aligned", pix2pix's layout: {@code train/}, {@code val/},
     * {@code test/} folders). Never guessed from the files.
     */
    public enum Layout {
        IMAGES, ALIGNED;

        public String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Which half of an aligned pair the generator maps from (data.direction). */
    public enum Direction {
        A_TO_B("AtoB"), B_TO_A("BtoA");

        private final String key;

        Direction(String key) {
            this.key = key;
        }

        public String key() {
            return key;
        }
    }

    /** Settings of a dataset of single images (data.layout = images), as before pairs existed. */
    public DataConfig(String source, String shards, int imageSize, int channels, String split, long limit,
                      long shardSize, int prepareTasks, double maxRejectFraction, long maxPixels,
                      boolean convertChannels, Cache cache, int lanes, long shuffleWindow) {
        this(source, shards, imageSize, channels, split, limit, shardSize, prepareTasks, maxRejectFraction, maxPixels,
                convertChannels, cache, lanes, shuffleWindow, Layout.IMAGES, Direction.A_TO_B);
    }

    public boolean paired() {
        return layout == Layout.ALIGNED;
    }

    /** Channels of a shard record's pixels: an image's, or both halves' of a pair (A's, then B's). */
    public int storedChannels() {
        return paired() ? 2 * channels : channels;
    }

    /** The bytes of one record in a shard: its int32 label, then its uint8 pixels. */
    public int recordBytes() {
        return 4 + storedChannels() * imageSize * imageSize;
    }

    /** Source ids per shard: as many records as data.shard-size holds, at least one. */
    public int idsPerShard() {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, shardSize / recordBytes()));
    }

    /**
     * These settings for another set of images ({@code fid --images}): its source, split and folder,
     * every image of it (no limit), and other channel counts converted (tools save grey samples as RGB).
     */
    public DataConfig forImages(String imagesSource, String imagesShards, String imagesSplit) {
        return new DataConfig(imagesSource, imagesShards, imageSize, channels, imagesSplit, 0, shardSize, prepareTasks,
                maxRejectFraction, maxPixels, true, cache, lanes, shuffleWindow, Layout.IMAGES, direction);
    }

    /** These settings for another split of the source (a paired dataset's held-out one). */
    public DataConfig withSplit(String other) {
        return new DataConfig(source, shards, imageSize, channels, other, limit, shardSize, prepareTasks, maxRejectFraction,
                maxPixels, convertChannels, cache, lanes, shuffleWindow, layout, direction);
    }

    /**
     * The settings besides the source that a prepared dataset's bytes follow from, as one string:
     * part of its fingerprint, and of the name of its default folder.
     */
    public String byteSettings() {
        return "size=" + imageSize + "|channels=" + channels + "|split=" + split + "|limit=" + limit
                + "|convert=" + convertChannels + "|max-pixels=" + maxPixels + "|ids-per-shard=" + idsPerShard()
                + (paired() ? "|layout=" + layout.key() : ""); // single images: as before layouts, same folders
    }

    /**
     * The folder data.shards names when it is not set: one under {@code root} per source and
     * settings, named after them for people ({@code fashion-mnist-28px-grey-3fa2c1d0}) and told apart
     * by a hash of everything that changes the bytes, so that other settings never meet a dataset
     * prepared with these.
     */
    public String defaultShards(String root) {
        String trimmed = source.replaceAll("/+$", "");
        String stem = trimmed.substring(trimmed.lastIndexOf('/') + 1).replaceAll("\\.[A-Za-z0-9]+$", "")
                .replaceAll("[^A-Za-z0-9._-]", "_");
        String hash;
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((source + "|" + byteSettings()).getBytes(StandardCharsets.UTF_8));
            hash = HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
        return root.replaceAll("/+$", "") + "/" + (stem.isEmpty() ? "dataset" : stem) + "-" + imageSize + "px-"
                + (channels == 1 ? "grey" : "rgb") + (paired() ? "-pairs" : "") + "-" + hash;
    }
}

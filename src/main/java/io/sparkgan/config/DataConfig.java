package io.sparkgan.config;

import java.io.Serializable;

/**
 * What to prepare and how, and how training reads it (the {@code data} section of reference.conf).
 *
 * @param cache where training keeps the shards: in executor memory, streamed from the filesystem, or
 *     whichever suits the dataset's size
 * @param lanes the most lanes (separate streams of the dataset) a global batch is drawn from
 * @param shuffleWindow bytes of images shuffled together within a lane
 */
public record DataConfig(String source, String shards, int imageSize, int channels, String split, long limit,
                         long shardSize, int prepareTasks, double maxRejectFraction, long maxPixels,
                         boolean convertChannels, Cache cache, int lanes, long shuffleWindow)
        implements Serializable {

    /** Where training keeps the shards (data.cache). */
    public enum Cache { AUTO, MEMORY, STREAM }

    /** The bytes of one image's record in a shard: its int32 label, then its uint8 pixels. */
    public int recordBytes() {
        return 4 + channels * imageSize * imageSize;
    }

    /** Source ids per shard: as many records as data.shard-size holds, at least one. */
    public int idsPerShard() {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, shardSize / recordBytes()));
    }
}

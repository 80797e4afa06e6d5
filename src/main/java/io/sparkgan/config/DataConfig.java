package io.sparkgan.config;

import java.io.Serializable;

/** What to prepare and how (the {@code data} section of reference.conf). */
public record DataConfig(String source, String shards, int imageSize, int channels, String split, long limit,
                         long shardSize, int prepareTasks, double maxRejectFraction, long maxPixels,
                         boolean convertChannels)
        implements Serializable {

    /** The bytes of one image's record in a shard: its int32 label, then its uint8 pixels. */
    public int recordBytes() {
        return 4 + channels * imageSize * imageSize;
    }

    /** Source ids per shard: as many records as data.shard-size holds, at least one. */
    public int idsPerShard() {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, shardSize / recordBytes()));
    }
}

package io.sparkgan.config;

import java.io.Serializable;

/** What to prepare and how (the {@code data} section of reference.conf). */
public record DataConfig(String source, String shards, int imageSize, int channels, String split, long limit,
                         int imagesPerShard, double maxRejectFraction, long maxPixels, boolean convertChannels)
        implements Serializable {}

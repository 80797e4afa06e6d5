package io.sparkgan.data;

import java.util.Arrays;

/**
 * Shards held in arrays, for tests and benchmarks that train on images made in memory: the images
 * laid end to end as if in shards of {@code shardCounts} images. They reach the executors in the
 * reader itself (a broadcast), never inside a round's tasks.
 */
public final class ArrayShards implements ShardReader {
    private final byte[] images;
    private final int[] labels;
    private final long[] shardCounts;
    private final long[] shardStarts;
    private final int pixels;

    /** {@code count} images of {@code pixels} values, unlabelled (−1), in shards of {@code perShard}. */
    public static ArrayShards of(byte[] images, int pixels, int perShard) {
        int count = images.length / pixels;
        int[] labels = new int[count];
        Arrays.fill(labels, -1);
        long[] counts = new long[Math.max(1, (count + perShard - 1) / perShard)];
        for (int s = 0; s < counts.length; s++) {
            counts[s] = Math.min(perShard, count - (long) s * perShard);
        }
        return new ArrayShards(images, labels, counts, pixels);
    }

    public ArrayShards(byte[] images, int[] labels, long[] shardCounts, int pixels) {
        this.images = images;
        this.labels = labels;
        this.shardCounts = shardCounts.clone();
        this.shardStarts = new long[shardCounts.length + 1];
        for (int s = 0; s < shardCounts.length; s++) {
            shardStarts[s + 1] = shardStarts[s] + shardCounts[s];
        }
        this.pixels = pixels;
        if (shardStarts[shardCounts.length] * pixels != images.length || labels.length * (long) pixels != images.length) {
            throw new IllegalArgumentException(images.length + " bytes are not " + shardStarts[shardCounts.length]
                    + " images of " + pixels + " values with a label each");
        }
    }

    @Override
    public long[] shardCounts() {
        return shardCounts.clone();
    }

    @Override
    public int pixelsPerImage() {
        return pixels;
    }

    @Override
    public void read(int shard, long first, int count, byte[] into, int[] labelsInto, int at) {
        long from = shardStarts[shard] + first;
        System.arraycopy(images, (int) (from * pixels), into, at * pixels, count * pixels);
        System.arraycopy(labels, (int) from, labelsInto, at, count);
    }

    @Override
    public boolean inMemory() {
        return true;
    }

    @Override
    public String describe() {
        return "images in memory";
    }
}

package io.sparkgan.data;

import java.io.IOException;
import java.io.Serializable;

/**
 * Reads runs of records from a prepared dataset's shards, on an executor. Shard {@code s} is the s-th
 * of dataset.json's list; record {@code i} its i-th image. Implementations are safe to call from
 * several threads at once.
 */
public interface ShardReader extends Serializable {

    /** Images per shard, in dataset.json's order. */
    long[] shardCounts();

    /** uint8 values per image: channels × size × size. */
    int pixelsPerImage();

    /**
     * Records [first, first + count) of shard {@code shard}: their pixels into {@code images} from
     * image {@code at} on, their labels into {@code labels} from {@code at} on.
     */
    void read(int shard, long first, int count, byte[] images, int[] labels, int at) throws IOException;

    /**
     * Whether reading one record is as cheap as copying it (the shards are in memory): then batches
     * are read image by image, with no shuffle windows held.
     */
    default boolean inMemory() {
        return false;
    }

    /** Where the shards are, for messages and logs. */
    String describe();
}

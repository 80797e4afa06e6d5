package io.sparkgan.data;

/**
 * One image as it goes into a shard: {@code pixels} are uint8 in CHW order at the prepared size.
 *
 * @param label class index, or -1 for unlabelled images
 */
public record ImageRecord(String source, byte[] pixels, int label) implements Prepared {}

package io.sparkgan.data;

import java.io.Serializable;

/**
 * The images one worker trains on, held in executor memory for the whole run (a cached RDD element).
 * Pixels stay uint8 (4× smaller than floats) and are normalised per minibatch.
 *
 * @param index the partition number; it also selects this worker's noise slots
 * @param images uint8 CHW pixels, {@code count × pixelsPerImage}
 */
public record TrainingPartition(int index, byte[] images, int count, int pixelsPerImage) implements Serializable {}

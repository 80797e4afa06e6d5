package io.sparkgan.eval;

import java.io.Serializable;

/**
 * Which feature extractor to use, small enough to travel inside every task: executors open the
 * weights at {@code uri} themselves and check them against {@code sha256}.
 *
 * @param name {@code evaluator} or {@code inception}
 * @param uri where the weights are (any Hadoop filesystem)
 * @param sha256 the weights' SHA-256, as recorded when they were made or first read
 */
public record ExtractorSpec(String name, String uri, String sha256) implements Serializable {}

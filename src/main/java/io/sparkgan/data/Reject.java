package io.sparkgan.data;

/** An input that did not become a training image, and why; a line of rejects.csv. */
public record Reject(String path, String reason) implements Prepared, java.io.Serializable {}

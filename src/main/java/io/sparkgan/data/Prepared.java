package io.sparkgan.data;

/** What one source item became: a training image or a reject. */
public sealed interface Prepared permits ImageRecord, Reject {}

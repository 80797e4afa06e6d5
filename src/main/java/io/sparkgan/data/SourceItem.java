package io.sparkgan.data;

/**
 * One entry of a dataset source, decoded lazily: sources list items cheaply, and {@link #load()} runs
 * in parallel. A bad image is a {@link Reject}, never an exception.
 */
public interface SourceItem {
    /** Where the image came from (a path, or file#index for idx files); named in rejects.csv. */
    String path();

    Prepared load();
}

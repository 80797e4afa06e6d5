package io.sparkgan.data;

import java.io.IOException;
import java.util.List;

/**
 * A dataset in its original form: an idx split, an image folder or a CSV manifest. The driver lists
 * it into a stable order of items (ids 0, 1, 2, …); executors load contiguous slices of that order.
 */
public interface DatasetSource {
    /** Short name used in dataset.json and reports (e.g. fashion-mnist). */
    String name();

    /** Class names by label index, or an empty list for unlabelled data. */
    List<String> classes();

    /**
     * A hash of what the source holds and of nothing else: file hashes for idx files, the listing
     * (path, size, modification time) for folders. Prepared shards are reused while it is unchanged.
     */
    String fingerprint() throws IOException;

    /** How many items the order holds: all of them, or at most {@code limit} when limit &gt; 0. */
    long size(long limit) throws IOException;

    /** Items [from, to) of the order, to be loaded where the slice is sent (an executor). */
    SourceSlice slice(long from, long to);
}

package io.sparkgan.data;

import java.io.IOException;
import java.util.List;

/** A dataset in its original form: an idx split, an image folder or a CSV manifest. */
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

    /** The items, in a stable order; at most {@code limit} of them when limit &gt; 0. */
    List<SourceItem> items(long limit) throws IOException;
}

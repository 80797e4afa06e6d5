package io.sparkgan.data;

import io.sparkgan.io.Storage;
import java.io.IOException;
import java.io.Serializable;
import java.util.function.Consumer;

/**
 * A contiguous run of a source's items, small enough to ship to an executor (paths and labels, never
 * pixels), where {@link #load} reads and decodes them.
 */
public interface SourceSlice extends Serializable {
    /**
     * Hands each item, in order, to {@code sink}: an {@link ImageRecord}, or a {@link Reject} saying why
     * it is not one. Throws only for what spoils the whole source (a damaged idx file).
     */
    void load(Storage storage, Consumer<Prepared> sink) throws IOException;
}

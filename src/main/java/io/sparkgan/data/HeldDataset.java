package io.sparkgan.data;

import io.sparkgan.io.ReaderLease;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A generation that a job reads, held by a reader's lease in {@code <data.shards>/_readers/} from the
 * job's start to its end, so that a {@code prepare --replace} meanwhile leaves it in place: the job
 * finishes on the dataset it started with. The last reader of a replaced generation removes it.
 */
public final class HeldDataset implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HeldDataset.class);

    private final Storage storage;
    private final PreparedDataset dataset;
    private final ReaderLease lease; // null where data.shards cannot be written
    private final Duration timeout;

    private HeldDataset(Storage storage, PreparedDataset dataset, ReaderLease lease, Duration timeout) {
        this.storage = storage;
        this.dataset = dataset;
        this.lease = lease;
        this.timeout = timeout;
    }

    /** Thrown when the generation was replaced between being found and being held. */
    static final class ReplacedMeanwhile extends IOException {
        ReplacedMeanwhile(String message) {
            super(message);
        }
    }

    /**
     * Holds {@code dataset} for {@code what} (e.g. "train hdfs:///runs/r7"). The lease is written
     * first and the generation looked up after: a replace that committed before the lease existed is
     * seen here, and one that commits after it sees the lease before it removes anything.
     */
    static HeldDataset hold(Storage storage, PreparedDataset dataset, String what, Duration timeout)
            throws IOException {
        ReaderLease lease;
        try {
            lease = ReaderLease.take(storage, dataset.rootPath(), DatasetGenerations.name(dataset.generation()), what,
                    timeout);
        } catch (IOException e) { // a data.shards this job may read but not write (permissions, a read-only role)
            LOG.warn("{}: cannot write a reader's lease in {} ({}); reading {} without one: a prepare --replace"
                    + " meanwhile may remove it, which stops this job", what, dataset.root(), e.toString(),
                    dataset.describe());
            return new HeldDataset(storage, dataset, null, timeout);
        }
        try {
            long current = DatasetGenerations.list(storage, dataset.rootPath()).current();
            if (current != dataset.generation()) {
                throw new ReplacedMeanwhile(dataset.describe() + " was replaced by generation " + current
                        + " as this job started");
            }
        } catch (IOException | RuntimeException e) {
            lease.close();
            throw e;
        }
        return new HeldDataset(storage, dataset, lease, timeout);
    }

    public PreparedDataset dataset() {
        return dataset;
    }

    public DatasetInfo info() {
        return dataset.info();
    }

    /** Lets go of the generation, and removes it if it was replaced and no other job reads it. */
    @Override
    public void close() {
        if (lease == null) {
            return;
        }
        lease.close();
        try {
            if (DatasetGenerations.list(storage, dataset.rootPath()).current() != dataset.generation()) {
                DatasetGenerations.removeReplaced(storage, dataset.rootPath(), timeout, false);
            }
        } catch (IOException e) {
            LOG.warn("could not remove the replaced {} ({}); the next prepare of {} does", dataset.describe(),
                    e.toString(), dataset.root());
        }
    }
}

package io.sparkgan.train;

import java.io.IOException;
import org.apache.hadoop.fs.Path;

/**
 * Where tests inject faults into a real run: a task that throws, a gradient that turns NaN, a
 * checkpoint write that fails half-way. Every hook is null outside tests and costs one volatile read.
 * Hooks act inside this JVM only; in {@code local[N]} mode that includes the executors' tasks.
 */
final class FaultHooks {
    /** Sees (and may replace, or throw instead of returning) each partition's result of a round. */
    interface PartitionFault {
        PartitionResult apply(RoundRequest request, PartitionResult result);
    }

    /** Called before each file of a checkpoint is written; throwing fails the write there. */
    interface WriteFault {
        void beforeWrite(Path file) throws IOException;
    }

    static volatile PartitionFault partition;
    static volatile WriteFault checkpointWrite;

    private FaultHooks() {
    }

    static PartitionResult afterPartition(RoundRequest request, PartitionResult result) {
        PartitionFault fault = partition;
        return fault == null ? result : fault.apply(request, result);
    }

    static void beforeCheckpointWrite(Path file) throws IOException {
        WriteFault fault = checkpointWrite;
        if (fault != null) {
            fault.beforeWrite(file);
        }
    }

    static void clear() {
        partition = null;
        checkpointWrite = null;
    }
}

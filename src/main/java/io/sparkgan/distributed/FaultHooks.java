package io.sparkgan.distributed;

import java.io.IOException;
import org.apache.hadoop.fs.Path;

/**
 * Where tests inject faults into a real run: a task that throws, a gradient that turns NaN, a
 * checkpoint write that fails half-way. Every hook is null outside tests and costs one volatile read.
 * Public only so that the checkpoint writer and tests in other packages can reach it. Hooks act
 * inside this JVM only; in {@code local[N]} mode that includes the executors' tasks.
 */
public final class FaultHooks {
    /** Sees (and may replace, or throw instead of returning) each partition's result of a round. */
    public interface PartitionFault {
        PartitionResult apply(RoundRequest request, PartitionResult result);
    }

    /** Called before each file of a checkpoint is written; throwing fails the write there. */
    public interface WriteFault {
        void beforeWrite(Path file) throws IOException;
    }

    public static volatile PartitionFault partition;
    public static volatile WriteFault checkpointWrite;

    private FaultHooks() {
    }

    static PartitionResult afterPartition(RoundRequest request, PartitionResult result) {
        PartitionFault fault = partition;
        return fault == null ? result : fault.apply(request, result);
    }

    public static void beforeCheckpointWrite(Path file) throws IOException {
        WriteFault fault = checkpointWrite;
        if (fault != null) {
            fault.beforeWrite(file);
        }
    }

    public static void clear() {
        partition = null;
        checkpointWrite = null;
    }
}

package io.sparkgan.step;

import java.io.Serializable;

/**
 * What rounds cost, added up over a step: wall time, of it the slowest worker's compute (and of that
 * the longest wait for real images), the driver's time publishing parameters, and the bytes moved
 * (parameters out, gradients back; in collective mode what the workers sent each other).
 */
public record RoundCost(long wallNanos, long computeNanos, long dataWaitNanos, long broadcastNanos, long bytes)
        implements Serializable {

    public static final RoundCost ZERO = new RoundCost(0, 0, 0, 0, 0);

    public RoundCost plus(RoundCost other) {
        return new RoundCost(wallNanos + other.wallNanos, computeNanos + other.computeNanos,
                dataWaitNanos + other.dataWaitNanos, broadcastNanos + other.broadcastNanos, bytes + other.bytes);
    }

    /**
     * Wall time not spent in compute: scheduling, transfer, summing. At least zero: in collective mode
     * the wall time is the reporting worker's own and the compute time the slowest worker's, and workers
     * start a round at slightly different moments (the previous all-reduce reaches them one after the
     * other), so the difference can dip below zero when the slowest worker started first.
     */
    public long syncNanos() {
        return Math.max(0, wallNanos - computeNanos);
    }
}

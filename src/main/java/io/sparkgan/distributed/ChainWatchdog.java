package io.sparkgan.distributed;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/**
 * Closes the links when the task is killed or nothing has moved for too long: blocking socket I/O
 * does not answer to thread interrupts, a closed socket fails it at once.
 */
final class ChainWatchdog extends Thread {
    private final BooleanSupplier killed;
    private final long stallNanos;
    private final List<ChainLink> links = new CopyOnWriteArrayList<>();
    private volatile long lastProgress = System.nanoTime();
    private volatile boolean inAllReduce;
    private volatile boolean done;
    private volatile String reason;

    ChainWatchdog(int rank, BooleanSupplier killed, long stallMillis) {
        super("sparkgan-allreduce-watchdog-" + rank);
        setDaemon(true);
        this.killed = killed;
        this.stallNanos = stallMillis * 1_000_000L;
    }

    void watch(ChainLink link) {
        links.add(link);
    }

    void progress() {
        lastProgress = System.nanoTime();
    }

    /** Only time spent inside an all-reduce counts towards a stall; a long step does not. */
    void enter() {
        lastProgress = System.nanoTime();
        inAllReduce = true;
    }

    void exit() {
        inAllReduce = false;
    }

    @Override
    public void run() {
        while (!done) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
            if (done) {
                return;
            }
            if (killed.getAsBoolean()) {
                reason = "the task was killed";
            } else if (inAllReduce && System.nanoTime() - lastProgress > stallNanos) {
                reason = "no data moved between neighbouring tasks for " + stallNanos / 1_000_000_000L
                        + " s (a peer hung or the network dropped)";
            }
            if (reason != null) {
                links.forEach(ChainLink::close);
                return;
            }
        }
    }

    void shutdown() {
        done = true;
        interrupt();
    }

    IOException explain(IOException e) {
        String why = reason;
        return why == null ? e : new IOException("all-reduce aborted: " + why, e);
    }
}

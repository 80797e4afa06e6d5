package io.sparkgan.distributed;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.function.BooleanSupplier;

/**
 * An all-reduce among the W tasks of one gang-scheduled (Spark barrier) stage, over TCP: every task
 * ends with the element-wise sum of everyone's vectors.
 *
 * <p><b>Why a chain and not a ring.</b> The tasks form a line 0 → 1 → … → W−1. In the reduce phase
 * task 0 sends its vector to task 1, which adds its own and passes the partial sum on; task W−1
 * ends with the total and sends it back down the line (the broadcast phase). Both phases are
 * pipelined in chunks, so every link is busy at once and each phase takes about one vector's
 * transfer time (4P/B) plus W−1 chunk latencies: the same bandwidth term as a ring all-reduce
 * (2·(W−1)/W · 4P/B). What the chain buys is the summation order: every element is added as
 * ((v₀ + v₁) + v₂) + …, exactly as the driver adds the partitions' results in driver mode, so the two
 * modes produce bit-identical parameters. A ring adds each chunk starting from a different task.
 *
 * <p><b>Failure.</b> A peer that dies closes its sockets and its neighbours fail with an error naming
 * it, and so on down the line; the driver then runs the whole job again. A watchdog thread closes
 * the sockets (failing any blocked read or write) when the task is killed or when an all-reduce has
 * moved no byte for {@code stallMillis}, so a hung peer cannot hang the job.
 *
 * <p>Connections are made once per stage: each task listens on an ephemeral port, the addresses are
 * exchanged (through {@link Rendezvous}), and a connecting task proves it belongs to the stage with a
 * per-stage token (the stage's tasks received it from the driver through Spark's own RPC).
 */
public final class ChainAllReduce implements AutoCloseable {
    /** Floats per pipelined chunk: 256 KB, large enough to amortise a write, small enough to pipeline. */
    static final int CHUNK_FLOATS = 64 * 1024;
    static final int HANDSHAKE_BYTES = 32 + 4;
    static final int ABORT = -1;

    /** A neighbour reported that a task of the job failed; the message names the task and the cause. */
    public static final class PeerFailedException extends IOException {
        PeerFailedException(String message) {
            super(message);
        }
    }

    /** How the tasks learn each other's addresses: every task's message, in task order. */
    public interface AddressExchange {
        String[] allGather(String message) throws IOException;
    }

    private final int rank;
    private final int size;
    private final ChainLink previous; // null on task 0
    private final ChainLink next; // null on task W−1
    private final ChainWatchdog watchdog;
    private final ByteBuffer buffer = ByteBuffer.allocate(4 * CHUNK_FLOATS).order(ByteOrder.LITTLE_ENDIAN);

    private ChainAllReduce(int rank, int size, ChainLink previous, ChainLink next, ChainWatchdog watchdog) {
        this.rank = rank;
        this.size = size;
        this.previous = previous;
        this.next = next;
        this.watchdog = watchdog;
    }

    /**
     * Connects task {@code rank} of {@code size} to its neighbours. {@code host} is the address the
     * other tasks can reach this one at; {@code killed} says when the task has been killed.
     */
    public static ChainAllReduce connect(int rank, int size, String host, byte[] token, AddressExchange exchange,
                                         BooleanSupplier killed, long stallMillis) throws IOException {
        byte[] proof = digest(token);
        ChainWatchdog watchdog = new ChainWatchdog(rank, killed, stallMillis);
        ChainLink previous = null;
        ChainLink next = null;
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getByName(host), 0), 1);
            String[] addresses = exchange.allGather(host + ":" + server.getLocalPort());
            if (addresses.length != size) {
                throw new IOException("expected " + size + " task addresses from the barrier, got " + addresses.length);
            }
            watchdog.start();
            if (rank + 1 < size) {
                next = ChainLink.connect(addresses[rank + 1], rank + 1, proof, rank, watchdog);
            }
            if (rank > 0) {
                previous = ChainLink.accept(server, rank - 1, proof, watchdog, killed, stallMillis);
            }
            return new ChainAllReduce(rank, size, previous, next, watchdog);
        } catch (IOException | RuntimeException e) {
            closeQuietly(next);
            closeQuietly(previous);
            watchdog.shutdown();
            throw e;
        }
    }

    public int rank() {
        return rank;
    }

    public int size() {
        return size;
    }

    /**
     * Replaces every task's {@code vectors}, {@code sums} and {@code maxima} in place with their totals
     * over all tasks: element-wise sums added in task order for the first two, element-wise maxima for
     * the last. Every task must pass arrays of the same lengths.
     */
    public void allReduce(float[][] vectors, double[] sums, double[] maxima) throws IOException {
        watchdog.enter();
        try {
            // reduce: partial sums flow up the chain, each task adding its own
            if (previous != null) {
                ByteBuffer in = previous.readBlock(buffer, 8 * (sums.length + maxima.length));
                for (int i = 0; i < sums.length; i++) {
                    sums[i] = in.getDouble() + sums[i];
                }
                for (int i = 0; i < maxima.length; i++) {
                    maxima[i] = Math.max(in.getDouble(), maxima[i]);
                }
            }
            writeStatistics(next, sums, maxima);
            for (float[] v : vectors) {
                for (int from = 0; from < v.length; from += CHUNK_FLOATS) {
                    int n = Math.min(CHUNK_FLOATS, v.length - from);
                    if (previous != null) {
                        FloatBuffer in = previous.readBlock(buffer, 4 * n).asFloatBuffer();
                        for (int i = 0; i < n; i++) {
                            v[from + i] = in.get(i) + v[from + i]; // the running sum first: task order
                        }
                    }
                    writeFloats(next, v, from, n);
                }
            }
            flush(next);
            // broadcast: the totals flow back down from task W−1
            if (next != null) {
                ByteBuffer in = next.readBlock(buffer, 8 * (sums.length + maxima.length));
                in.asDoubleBuffer().get(sums).get(maxima);
            }
            writeStatistics(previous, sums, maxima);
            for (float[] v : vectors) {
                for (int from = 0; from < v.length; from += CHUNK_FLOATS) {
                    int n = Math.min(CHUNK_FLOATS, v.length - from);
                    if (next != null) {
                        next.readBlock(buffer, 4 * n).asFloatBuffer().get(v, from, n);
                    }
                    writeFloats(previous, v, from, n);
                }
            }
            flush(previous);
        } catch (IOException e) {
            throw watchdog.explain(e);
        } finally {
            watchdog.exit();
        }
    }

    /**
     * Tells both neighbours that this task failed and why, so that every task of the job fails with
     * the first cause rather than "connection closed"; then closes. Best effort, bounded in time.
     */
    public void abort(String reason) {
        Thread sender = new Thread(() -> {
            for (ChainLink link : new ChainLink[] {previous, next}) {
                if (link != null) {
                    link.sendAbort(reason);
                }
            }
        }, "sparkgan-allreduce-abort-" + rank);
        sender.setDaemon(true);
        sender.start();
        try {
            sender.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    private static void flush(ChainLink link) throws IOException {
        if (link != null) {
            link.out.flush();
        }
    }

    private void writeStatistics(ChainLink link, double[] sums, double[] maxima) throws IOException {
        if (link == null) {
            return;
        }
        buffer.clear();
        buffer.asDoubleBuffer().put(sums).put(maxima);
        int length = 8 * (sums.length + maxima.length);
        link.writeBlock(buffer.array(), length);
    }

    private void writeFloats(ChainLink link, float[] v, int from, int n) throws IOException {
        if (link == null) {
            return;
        }
        buffer.clear();
        buffer.asFloatBuffer().put(v, from, n);
        link.writeBlock(buffer.array(), 4 * n);
    }

    @Override
    public void close() {
        watchdog.shutdown();
        closeQuietly(next);
        closeQuietly(previous);
    }

    private static void closeQuietly(ChainLink link) {
        if (link != null) {
            link.close();
        }
    }

    private static byte[] digest(byte[] token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

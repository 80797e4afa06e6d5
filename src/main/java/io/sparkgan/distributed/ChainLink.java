package io.sparkgan.distributed;

import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.function.BooleanSupplier;

/** One TCP connection to a neighbouring task. */
final class ChainLink {
    final int peer;
    final Socket socket;
    final InputStream in;
    final OutputStream out;
    final ChainWatchdog watchdog;
    private final ByteBuffer header = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);

    ChainLink(int peer, Socket socket, ChainWatchdog watchdog) throws IOException {
        this.peer = peer;
        this.socket = socket;
        this.watchdog = watchdog;
        socket.setTcpNoDelay(true);
        this.in = socket.getInputStream();
        this.out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
        watchdog.watch(this);
    }

    static ChainLink connect(String address, int peer, byte[] proof, int myRank, ChainWatchdog watchdog)
            throws IOException {
        int colon = address.lastIndexOf(':');
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(address.substring(0, colon),
                    Integer.parseInt(address.substring(colon + 1))), 60_000);
        } catch (IOException e) {
            socket.close();
            throw new IOException("task " + myRank + " cannot connect to task " + peer + " at " + address + ": "
                    + e.getMessage(), e);
        }
        ChainLink link = new ChainLink(peer, socket, watchdog);
        ByteBuffer hello = ByteBuffer.allocate(ChainAllReduce.HANDSHAKE_BYTES);
        hello.put(proof).putInt(myRank);
        link.out.write(hello.array());
        link.out.flush();
        return link;
    }

    /** Waits for the previous task; a blocking accept would not notice that the task was killed. */
    static ChainLink accept(ServerSocket server, int expectedPeer, byte[] proof, ChainWatchdog watchdog,
                       BooleanSupplier killed, long waitMillis) throws IOException {
        server.setSoTimeout(200);
        long deadline = System.nanoTime() + waitMillis * 1_000_000L;
        Socket socket = null;
        while (socket == null) {
            try {
                socket = server.accept();
            } catch (SocketTimeoutException e) {
                if (killed.getAsBoolean()) {
                    throw new IOException("the task was killed while waiting for task " + expectedPeer
                            + " to connect");
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("task " + expectedPeer + " never connected to "
                            + server.getLocalSocketAddress(), e);
                }
            }
        }
        ChainLink link = new ChainLink(expectedPeer, socket, watchdog);
        byte[] hello = new byte[ChainAllReduce.HANDSHAKE_BYTES];
        link.readFully(hello, hello.length);
        ByteBuffer b = ByteBuffer.wrap(hello);
        byte[] theirs = new byte[32];
        b.get(theirs);
        int theirRank = b.getInt();
        if (!MessageDigest.isEqual(theirs, proof) || theirRank != expectedPeer) {
            link.close();
            throw new IOException("a connection from " + socket.getRemoteSocketAddress()
                    + " did not present this stage's token as task " + expectedPeer + "; refused");
        }
        return link;
    }

    /** A block: its length, then its bytes. A negative length announces an abort message instead. */
    void writeBlock(byte[] bytes, int length) throws IOException {
        header.clear();
        header.putInt(length);
        out.write(header.array(), 0, 4);
        out.write(bytes, 0, length);
        watchdog.progress();
    }

    /** Reads a block of exactly {@code length} bytes into {@code buffer}; returns it ready to read. */
    ByteBuffer readBlock(ByteBuffer buffer, int length) throws IOException {
        readFully(header.array(), 4);
        int announced = header.getInt(0);
        if (announced == ChainAllReduce.ABORT) {
            readFully(header.array(), 4);
            byte[] message = new byte[Math.min(header.getInt(0), 64 * 1024)];
            readFully(message, message.length);
            throw new ChainAllReduce.PeerFailedException(new String(message, StandardCharsets.UTF_8));
        }
        if (announced != length) {
            throw new IOException("task " + peer + " sent a block of " + announced + " bytes where " + length
                    + " were expected: the tasks disagree on the model (different configurations?)");
        }
        readFully(buffer.array(), length);
        buffer.clear();
        buffer.limit(length);
        return buffer;
    }

    void sendAbort(String reason) {
        byte[] message = reason.getBytes(StandardCharsets.UTF_8);
        try {
            ByteBuffer frame = ByteBuffer.allocate(8 + message.length).order(ByteOrder.LITTLE_ENDIAN);
            frame.putInt(ChainAllReduce.ABORT).putInt(message.length).put(message);
            out.write(frame.array());
            out.flush();
        } catch (IOException ignored) {
            // the neighbour may be gone already; it learns of the failure from the closed socket
        }
    }

    void readFully(byte[] into, int length) throws IOException {
        int done = 0;
        while (done < length) {
            int n = in.read(into, done, length - done);
            if (n < 0) {
                throw new EOFException("task " + peer + " closed the connection");
            }
            done += n;
            watchdog.progress();
        }
    }

    void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing is best effort: the peer sees EOF either way
        }
    }
}

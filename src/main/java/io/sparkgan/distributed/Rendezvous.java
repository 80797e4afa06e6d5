package io.sparkgan.distributed;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the tasks of a collective job learn each other's addresses: a small TCP service on the
 * driver. Each task sends (job token, rank, its address); once all W have, each gets the full list.
 *
 * <p>Why not Spark's own {@code BarrierTaskContext.allGather}: in Spark 3.5 it polls for the answer
 * with a one-second sleep, so every call costs about a second (measured: 1.0 s per job here), which
 * is several training steps.
 */
public final class Rendezvous implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Rendezvous.class);
    private static final int TOKEN_BYTES = 32;

    private final ServerSocket server;
    private final String advertised;
    private final Thread acceptor;
    private final Map<String, Pending> jobs = new HashMap<>();

    /**
     * Starts the service on a free port of {@code bindHost}; tasks dial {@code advertisedHost} (the
     * driver's address as executors know it, spark.driver.host).
     */
    public Rendezvous(String bindHost, String advertisedHost) throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(bindHost), 0), 64);
        advertised = advertisedHost;
        acceptor = new Thread(this::acceptLoop, "sparkgan-rendezvous");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** host:port for the tasks to dial. */
    public String address() {
        return advertised + ":" + server.getLocalPort();
    }

    /** Expects the W tasks of a job identified by {@code token} (32 bytes). */
    public synchronized void expect(byte[] token, int size) {
        Pending earlier = jobs.put(key(token), new Pending(size));
        if (earlier != null) {
            earlier.closeAll(); // tasks of a failed attempt of the same job
        }
    }

    /** Forgets a job (finished or failed); its tasks that are still waiting are disconnected. */
    public synchronized void forget(byte[] token) {
        Pending p = jobs.remove(key(token));
        if (p != null) {
            p.closeAll();
        }
    }

    /**
     * The task side: registers {@code myAddress} as task {@code rank} of the job and returns all
     * tasks' addresses in rank order. Gives up when {@code killed} says so or after {@code waitMillis}.
     */
    public static String[] exchange(String rendezvous, byte[] token, int rank, String myAddress,
                                    BooleanSupplier killed, long waitMillis) throws IOException {
        int colon = rendezvous.lastIndexOf(':');
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(rendezvous.substring(0, colon),
                    Integer.parseInt(rendezvous.substring(colon + 1))), 60_000);
            socket.setTcpNoDelay(true);
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.write(token);
            out.writeInt(rank);
            out.writeUTF(myAddress);
            out.flush();
            socket.setSoTimeout(200);
            DataInputStream in = new DataInputStream(socket.getInputStream());
            long deadline = System.nanoTime() + waitMillis * 1_000_000L;
            while (true) {
                try {
                    // the answer comes only once the last task has registered
                    int size = in.readInt();
                    socket.setSoTimeout(60_000);
                    String[] addresses = new String[size];
                    for (int i = 0; i < size; i++) {
                        addresses[i] = in.readUTF();
                    }
                    return addresses;
                } catch (SocketTimeoutException e) {
                    if (killed.getAsBoolean()) {
                        throw new IOException("the task was killed while waiting for the other tasks at " + rendezvous);
                    }
                    if (System.nanoTime() > deadline) {
                        throw new IOException("not every task of the job registered at " + rendezvous + " within "
                                + waitMillis / 1000 + " s");
                    }
                }
            }
        } catch (EOFException e) {
            throw new IOException("the driver's rendezvous at " + rendezvous + " turned task " + rank + " away (a job"
                    + " that was already over, or a wrong token)", e);
        }
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                try {
                    register(socket);
                } catch (IOException | RuntimeException e) {
                    LOG.debug("rendezvous: dropped a connection from {}: {}", socket.getRemoteSocketAddress(), e.toString());
                    socket.close();
                }
            } catch (IOException e) {
                if (!server.isClosed()) {
                    LOG.warn("rendezvous: accept failed: {}", e.toString());
                }
            }
        }
    }

    private void register(Socket socket) throws IOException {
        socket.setSoTimeout(10_000); // a registration is a few bytes; do not let a stray client block others
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] token = new byte[TOKEN_BYTES];
        in.readFully(token);
        int rank = in.readInt();
        String address = in.readUTF();
        synchronized (this) {
            Pending pending = jobs.get(key(token));
            if (pending == null || rank < 0 || rank >= pending.addresses.length || pending.sockets[rank] != null) {
                throw new IOException("unknown job or rank " + rank);
            }
            pending.addresses[rank] = address;
            pending.sockets[rank] = socket;
            if (++pending.registered == pending.addresses.length) {
                pending.answerAll();
                jobs.remove(key(token));
            }
        }
    }

    private static String key(byte[] token) {
        if (token.length != TOKEN_BYTES) {
            throw new IllegalArgumentException("a job token has " + TOKEN_BYTES + " bytes");
        }
        return HexFormat.of().formatHex(token);
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
        synchronized (this) {
            jobs.values().forEach(Pending::closeAll);
            jobs.clear();
        }
    }

    /** The registrations of one job so far. */
    private static final class Pending {
        final String[] addresses;
        final Socket[] sockets;
        int registered;

        Pending(int size) {
            addresses = new String[size];
            sockets = new Socket[size];
        }

        void answerAll() {
            for (Socket s : sockets) {
                try (s) {
                    DataOutputStream out = new DataOutputStream(s.getOutputStream());
                    out.writeInt(addresses.length);
                    for (String a : addresses) {
                        out.writeUTF(a);
                    }
                    out.flush();
                } catch (IOException e) {
                    LOG.debug("rendezvous: could not answer {}: {}", s.getRemoteSocketAddress(), e.toString());
                }
            }
        }

        void closeAll() {
            for (Socket s : sockets) {
                if (s != null) {
                    try {
                        s.close();
                    } catch (IOException ignored) {
                        // best effort
                    }
                }
            }
        }
    }
}

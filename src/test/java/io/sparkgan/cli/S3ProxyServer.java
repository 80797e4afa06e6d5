package io.sparkgan.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An S3 server on 127.0.0.1 for the s3a:// tests: S3Proxy (github.com/gaul/s3proxy) with its in-memory
 * "transient" blob store and signature checking, started from its self-contained jar (Maven copies it
 * to target/s3proxy/ before the tests) as a separate JVM, so that its own libraries (Jackson, Guava,
 * protobuf, logback, Jetty 12) stay off the test classpath that Spark, Hadoop and DL4J share.
 */
final class S3ProxyServer implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path log;

    private S3ProxyServer(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts a server that accepts requests signed with {@code accessKey}/{@code secretKey}. */
    static S3ProxyServer start(Path workDir, String accessKey, String secretKey) throws IOException, InterruptedException {
        Path jar = Path.of(System.getProperty("sparkgan.test.s3proxy.jar", "target/s3proxy/s3proxy.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: run the tests through Maven (./mvnw test), which"
                    + " copies S3Proxy's jar there in the process-test-resources phase");
        }
        Files.createDirectories(workDir);
        IOException last = null;
        for (int attempt = 0; attempt < 3; attempt++) { // a free port can be taken between probe and bind
            int port = freePort();
            Path properties = workDir.resolve("s3proxy.properties");
            Files.writeString(properties, String.join("\n", List.of(
                    "s3proxy.endpoint=http://127.0.0.1:" + port,
                    "s3proxy.authorization=aws-v2-or-v4",
                    "s3proxy.identity=" + accessKey,
                    "s3proxy.credential=" + secretKey,
                    "jclouds.provider=transient")) + "\n", StandardCharsets.UTF_8);
            Path log = workDir.resolve("s3proxy.log");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder builder = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1",
                    "-Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener",
                    "-jar", jar.toAbsolutePath().toString(), "--properties", properties.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().put("LOG_LEVEL", "warn");
            Process process = builder.start();
            S3ProxyServer server = new S3ProxyServer(process, port, log);
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
            try {
                server.awaitListening(60);
                return server;
            } catch (IOException e) {
                server.close();
                last = e;
            }
        }
        throw last;
    }

    String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    private void awaitListening(int seconds) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("S3Proxy exited with " + process.exitValue() + ": " + Files.readString(log));
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IOException("S3Proxy did not listen on port " + port + " within " + seconds + " s: "
                + Files.readString(log));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}

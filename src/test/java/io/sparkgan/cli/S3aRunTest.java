package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.amazonaws.auth.AWSStaticCredentialsProvider;
import com.amazonaws.auth.BasicAWSCredentials;
import com.amazonaws.client.builder.AwsClientBuilder;
import com.amazonaws.services.s3.AmazonS3;
import com.amazonaws.services.s3.AmazonS3ClientBuilder;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.statistics.IOStatistics;
import org.apache.hadoop.fs.statistics.IOStatisticsSupport;
import org.apache.hadoop.fs.statistics.StoreStatisticNames;
import org.junit.jupiter.api.Test;

/**
 * prepare → train → resume → fid with data.shards and output.dir on s3a://, against an S3 server on
 * 127.0.0.1 (S3Proxy, see {@link S3ProxyServer}) that checks request signatures. Settings as users give
 * them: path-style access to a custom endpoint without TLS, and the keys either in the environment
 * (prepare, run as its own JVM) or in a --config file's spark.conf (train, fid). The secret key must
 * not appear in anything the run writes or prints, and nothing may rename or copy objects.
 */
class S3aRunTest extends RemoteFileSystemRuns {
    static final String BUCKET = "sparkgan-test";
    static final String ACCESS_KEY = "SPARKGANTESTACCESSKEY";
    static final String SECRET_KEY = "sparkgan-secret-" + UUID.randomUUID();

    private S3ProxyServer server;
    /** The endpoint settings without keys, and the same with the keys: as spark.conf of a --config file. */
    private Path endpointConf;
    private Path credentialsConf;
    /** S3A counters summed over the commands run in this JVM (their writes all happen on the driver). */
    private final Map<String, Long> counters = new LinkedHashMap<>();

    @Override
    String startFileSystem(Path workDir) throws Exception {
        server = S3ProxyServer.start(workDir.resolve("s3proxy"), ACCESS_KEY, SECRET_KEY);
        AmazonS3 client = AmazonS3ClientBuilder.standard()
                .withEndpointConfiguration(new AwsClientBuilder.EndpointConfiguration(server.endpoint(), "us-east-1"))
                .withPathStyleAccessEnabled(true)
                .withCredentials(new AWSStaticCredentialsProvider(new BasicAWSCredentials(ACCESS_KEY, SECRET_KEY)))
                .build();
        client.createBucket(BUCKET);
        client.shutdown();
        endpointConf = workDir.resolve("s3-endpoint.conf");
        Files.writeString(endpointConf, sparkConf(endpointSettings()));
        credentialsConf = workDir.resolve("s3-credentials.conf");
        Files.writeString(credentialsConf, sparkConf(allSettings()));
        return "s3a://" + BUCKET + "/sparkgan";
    }

    /** The s3a settings of a custom S3 endpoint, as Hadoop keys. */
    private Map<String, String> endpointSettings() {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("fs.s3a.endpoint", server.endpoint());
        s.put("fs.s3a.path.style.access", "true");
        s.put("fs.s3a.connection.ssl.enabled", "false");
        return s;
    }

    private Map<String, String> allSettings() {
        Map<String, String> s = endpointSettings();
        s.put("fs.s3a.access.key", ACCESS_KEY);
        s.put("fs.s3a.secret.key", SECRET_KEY);
        return s;
    }

    /** A config file that gives Hadoop settings the way users do: spark.conf { "spark.hadoop.<key>" = ... }. */
    private static String sparkConf(Map<String, String> hadoop) {
        StringBuilder text = new StringBuilder("spark.conf {\n");
        hadoop.forEach((k, v) -> text.append("  \"spark.hadoop.").append(k).append("\" = \"").append(v).append("\"\n"));
        return text.append("}\n").toString();
    }

    @Override
    void stopFileSystem() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Override
    List<String> filesystemOptions() {
        return List.of("--config", credentialsConf.toString());
    }

    @Override
    Storage storage() {
        return new Storage(hadoopConf(allSettings()));
    }

    /**
     * prepare runs as its own JVM with the keys in its environment only (AWS_ACCESS_KEY_ID,
     * AWS_SECRET_ACCESS_KEY), as a scheduled job would get them; its config gives just the endpoint.
     */
    @Override
    Command runPrepare(List<String> args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g"));
        for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (flag.startsWith("--add-opens") || flag.startsWith("-Djdk.reflect") || flag.startsWith("-Dorg.bytedeco")) {
                command.add(flag);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        List<String> all = new ArrayList<>(args);
        all.addAll(List.of("--config", endpointConf.toString()));
        command.addAll(all);
        try {
            Path out = tmp.resolve("prepare.out");
            Path err = tmp.resolve("prepare.err");
            ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            builder.environment().put("AWS_ACCESS_KEY_ID", ACCESS_KEY);
            builder.environment().put("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
            Process process = builder.start();
            if (!process.waitFor(5, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException("prepare did not finish within 5 minutes");
            }
            String stderr = Files.readString(err);
            return new Command(all, process.exitValue(), Files.readString(out), stderr, "", stderr);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    void afterCommand() throws IOException {
        FileSystem fs = FileSystem.get(URI.create("s3a://" + BUCKET + "/"), hadoopConf(allSettings())); // the cached one
        IOStatistics stats = IOStatisticsSupport.retrieveIOStatistics(fs);
        stats.counters().forEach((name, value) -> counters.merge(name, value, Long::sum));
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    void prepareReadsTheKeysFromTheEnvironment() throws Exception {
        assertFalse(Files.readString(endpointConf).contains("key"), "its config holds no keys");
        assertEquals(IMAGES, Json.parse(prepare.out()).path("count").asInt(), prepare.describe());
        assertTrue(prepare.logs().contains("prepare: " + IMAGES + " images in 2 shards at " + root + "/shards"),
                prepare.describe());
    }

    @Test
    void theSecretKeyIsWrittenNowhereAndPrintedNowhere() throws Exception {
        byte[] secret = SECRET_KEY.getBytes(StandardCharsets.UTF_8);
        Map<String, byte[]> files = allFiles(storage(), root);
        assertTrue(files.keySet().stream().anyMatch(f -> f.endsWith("/r/run.conf")), files.keySet().toString());
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            assertFalse(contains(file.getValue(), secret), file.getKey() + " holds the secret key");
        }
        String runConf = storage().readString(run().runConf());
        assertTrue(runConf.contains("\"spark.hadoop.fs.s3a.secret.key\"=\"<redacted>\"")
                && runConf.contains("\"spark.hadoop.fs.s3a.access.key\"=\"<redacted>\""), runConf);
        assertTrue(runConf.contains(server.endpoint()), "the rest of spark.conf is kept: " + runConf);

        for (Command command : List.of(prepare, firstTrain, resumedTrain, fid)) {
            assertFalse(command.everything().contains(SECRET_KEY),
                    "sparkgan " + String.join(" ", command.args()) + " printed the secret key");
        }
        // the capture works: it holds the commands' progress lines and logs
        assertTrue(resumedTrain.logs().contains("train: checkpoint " + root + "/runs/r/checkpoints/step-00000004"));
        assertTrue(fid.logs().contains("fid: report for 2 checkpoint(s)"));
    }

    @Test
    void nothingIsRenamedOrCopiedOnS3() {
        // the scenario's prepare ran in its own JVM: prepare once more here, where the counters see it
        Command again = cli(concat(List.of("prepare"), sets("data.limit=256", "data.shard-size=100K",
                "data.shards=" + root + "/shards-again", "spark.master=local[2]"), filesystemOptions()));
        assertEquals(0, again.code(), again.describe());
        assertTrue(again.logs().contains("prepare: 256 images in 2 shards"), again.describe());
        long puts = counters.getOrDefault(StoreStatisticNames.OBJECT_PUT_REQUEST, 0L);
        long renames = counters.getOrDefault(StoreStatisticNames.OP_RENAME, 0L);
        long copies = counters.getOrDefault(StoreStatisticNames.OBJECT_COPY_REQUESTS, 0L);
        String counted = "PUTs " + puts + ", renames " + renames + ", object copies " + copies;
        assertTrue(puts > 20, "the commands' writes are counted: " + counted);
        assertEquals(0, renames, counted);
        assertEquals(0, copies, counted);
    }

    @Test
    void fidSaysWhatToGiveWhenItCannotReadTheRun() {
        String wrong = "not-the-secret-" + UUID.randomUUID();
        List<String> args = new ArrayList<>(List.of("fid", "--run", run().root().toString()));
        endpointSettings().forEach((k, v) -> args.addAll(sets("spark.conf.\"spark.hadoop." + k + "\"=" + v)));
        args.addAll(sets("spark.conf.\"spark.hadoop.fs.s3a.access.key\"=" + ACCESS_KEY,
                "spark.conf.\"spark.hadoop.fs.s3a.secret.key\"=" + wrong));
        Command denied = cli(args);
        assertEquals(2, denied.code(), denied.describe());
        assertTrue(denied.err().contains("cannot read " + run().runConf()) && denied.err().contains("spark.hadoop.fs.s3a"),
                denied.err());
        assertFalse(denied.everything().contains(wrong), denied.err());
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}

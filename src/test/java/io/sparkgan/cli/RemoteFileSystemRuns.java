package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.LogCapture;
import io.sparkgan.TestSpark;
import io.sparkgan.data.Hashes;
import io.sparkgan.io.Json;
import io.sparkgan.io.Npy;
import io.sparkgan.io.NpyArray;
import io.sparkgan.io.Png;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.train.Checkpoint;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.RemoteIterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * prepare → train → fid through the CLI with data.shards and output.dir on a remote filesystem
 * (an in-process HDFS, an S3 server over s3a://), on a small Fashion-MNIST subset. The run is trained
 * in two parts, 2 steps and then 4 (the second resumes from the committed checkpoint at step 2, past
 * an uncommitted checkpoint directory left as by an interrupted write), and scored with fid --run.
 * Training streams the shards from the filesystem (data.cache = stream, positional reads: ranged GETs
 * on S3) and must equal the same run on local disk with the shards kept in memory. Each command runs as it would in its own process: Hadoop's FileSystem cache is emptied before it,
 * so it reaches the filesystem with its own settings only.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RemoteFileSystemRuns {
    static final int IMAGES = 512;
    /** The uninterrupted 4-step run on local disk, computed once per JVM: {generator, discriminator} SHA-256. */
    private static List<String> localReference;

    @TempDir
    static Path tmp;
    /** Root URI of this test's files on the filesystem under test, e.g. hdfs://localhost:4321/sparkgan. */
    String root;
    Command prepare;
    Command firstTrain;
    Command resumedTrain;
    Command fid;

    /** Starts the filesystem and returns the root URI the test writes under. */
    abstract String startFileSystem(Path workDir) throws Exception;

    abstract void stopFileSystem() throws Exception;

    /** Options that give each command the filesystem's settings and credentials (--config, --set). */
    abstract List<String> filesystemOptions();

    /** Runs {@code sparkgan prepare} with these arguments (and the filesystem's); subclasses may run it their own way. */
    Command runPrepare(List<String> args) {
        return cli(concat(args, filesystemOptions()));
    }

    /** Called after each in-process command, before Hadoop's FileSystem cache is emptied. */
    void afterCommand() throws IOException {
    }

    @BeforeAll
    void prepareTrainResumeAndScore() throws Exception {
        TestSpark.stop(); // the CLI starts (and stops) its own Spark context
        root = startFileSystem(tmp);
        prepare = runPrepare(concat(List.of("prepare"), dataOptions(root + "/shards")));
        assertEquals(0, prepare.code, prepare.describe());

        firstTrain = cli(trainArgs(root + "/shards", root + "/runs", 2, filesystemOptions()));
        assertEquals(0, firstTrain.code, firstTrain.describe());
        // A checkpoint directory whose write was cut off: files but no _COMMITTED. Resume must ignore it.
        Storage storage = storage();
        storage.writeString(new org.apache.hadoop.fs.Path(run().checkpoint(4), "params.npz"), "half a checkpoint");
        resumedTrain = cli(trainArgs(root + "/shards", root + "/runs", 4, filesystemOptions()));
        assertEquals(0, resumedTrain.code, resumedTrain.describe());

        fid = cli(concat(List.of("fid", "--run", run().root().toString(), "--checkpoints", "all"), fidOptions(),
                filesystemOptions()));
        assertEquals(0, fid.code, fid.describe());
    }

    @AfterAll
    void stop() throws Exception {
        FileSystem.closeAll();
        stopFileSystem();
    }

    /** The settings all runs share, with data.shards at {@code shards}. */
    static List<String> dataOptions(String shards) {
        return sets("spark.master=local[2]", "spark.conf.\"spark.ui.enabled\"=false",
                "data.limit=" + IMAGES, "data.shard-size=200K", "data.shards=" + shards);
    }

    static List<String> trainArgs(String shards, String output, int steps, List<String> filesystemOptions) {
        return concat(List.of("train"), dataOptions(shards), sets("output.dir=" + output, "run.id=r",
                "model.g-features=8", "model.d-features=8", "model.latent-dim=16",
                "train.workers=2", "train.batch-per-worker=16", "train.steps=" + steps, "train.log-every=1",
                "train.sample-every=2", "train.checkpoint-every=2", "train.sample-count=16", "fid.enabled=false",
                "data.cache=stream"), filesystemOptions);
    }

    static List<String> fidOptions() {
        return sets("spark.master=local[2]", "fid.samples=200", "fid.batch=100", "fid.evaluator-epochs=1",
                "fid.kid-subsets=5", "fid.kid-subset-size=50");
    }

    RunDirectory run() {
        return RunDirectory.of(root + "/runs", "r");
    }

    /** The filesystem under test, with the settings the commands were given. */
    abstract Storage storage();

    // ---------------------------------------------------------------------------------------------

    @Test
    void preparedShardsLiveOnTheFileSystem() throws Exception {
        JsonNode dataset = Json.parse(storage().readString(path(root + "/shards/dataset.json")));
        assertEquals(IMAGES, dataset.path("count").asInt());
        assertEquals(2, dataset.path("shards").size());
        for (JsonNode shard : dataset.path("shards")) {
            byte[] bytes = storage().readBytes(path(root + "/shards/" + shard.path("file").asText()));
            assertEquals(shard.path("sha256").asText(), Hashes.sha256Hex(bytes), shard.toString());
        }
    }

    @Test
    void runDirectoryHoldsEverythingReadableThroughItsFileSystem() throws Exception {
        Storage storage = storage();
        RunDirectory run = run();
        assertTrue(storage.readString(run.runConf()).contains("steps=4"));
        JsonNode provenance = Json.parse(storage.readString(run.provenance()));
        assertEquals(root + "/shards", provenance.path("dataset").path("shards").asText());
        assertEquals(IMAGES, provenance.path("dataset").path("count").asInt());

        String[] metrics = storage.readString(run.metrics()).strip().split("\n");
        assertEquals(List.of(1, 2, 3, 4), Arrays.stream(metrics).map(l -> Json.parse(l).path("step").asInt()).toList(),
                "one line per step, steps 3-4 appended by the resumed run");
        for (long step : new long[] {0, 2, 4}) {
            Map<String, String> text = Png.readText(new ByteArrayInputStream(storage.readBytes(run.sample(step))));
            assertEquals(String.valueOf(step), text.get("sparkgan:step"));
        }
        assertEquals(List.of(2L, 4L), Checkpoint.committed(storage, run));
        for (long step : new long[] {2, 4}) {
            for (String file : List.of("generator.sdz", "generator-ema.sdz", "discriminator.sdz", "params.npz",
                    "optimiser.npz", "state.json", Checkpoint.COMMIT_MARKER)) {
                assertTrue(storage.length(new org.apache.hadoop.fs.Path(run.checkpoint(step), file)) > 0, step + "/" + file);
            }
        }
        JsonNode success = Json.parse(storage.readString(run.success()));
        assertEquals(4, success.path("steps").asInt());
        for (String file : List.of("report.json", "report.csv", "report.html")) {
            assertTrue(storage.length(new org.apache.hadoop.fs.Path(run.fid(), file)) > 0, "fid/" + file);
        }
    }

    @Test
    void resumedRunContinuesFromItsCommittedCheckpointAsAnUninterruptedLocalRun() throws Exception {
        assertTrue(resumedTrain.logs.contains("resuming " + run().root() + " from its checkpoint at step 2"),
                resumedTrain.logs);
        Storage storage = storage();
        org.apache.hadoop.fs.Path last = run().checkpoint(4);
        JsonNode state = Json.parse(storage.readString(new org.apache.hadoop.fs.Path(last, "state.json")));
        assertEquals(4, state.path("step").asInt());
        // the interrupted write's leftover was replaced by the real checkpoint
        Map<String, NpyArray> params = Npy.readNpz(new ByteArrayInputStream(
                storage.readBytes(new org.apache.hadoop.fs.Path(last, "params.npz"))));
        assertEquals(state.path("params_sha256").path("generator").asText(),
                sha256(params.get("generator").asFloats()));

        JsonNode success = Json.parse(storage.readString(run().success()));
        List<String> hashes = List.of(success.path("params_sha256").path("generator").asText(),
                success.path("params_sha256").path("discriminator").asText());
        assertEquals(localReference(), hashes, "2 + 2 steps on " + root + " vs 4 steps in one go on local disk");
    }

    @Test
    void fidScoresEveryCommittedCheckpointFromTheRunOnTheFileSystem() throws Exception {
        JsonNode report = Json.parse(storage().readString(new org.apache.hadoop.fs.Path(run().fid(), "report.json")));
        List<String> rows = new ArrayList<>();
        report.path("checkpoints").forEach(c -> rows.add(c.path("step").asInt() + " " + c.path("generator").asText()));
        assertEquals(List.of("2 ema", "2 raw", "4 ema", "4 raw"), rows, "both generators of every checkpoint");
        for (JsonNode checkpoint : report.path("checkpoints")) {
            assertEquals(200, checkpoint.path("samples").asInt());
            assertTrue(Double.isFinite(checkpoint.path("fid").asDouble()) && checkpoint.path("fid").asDouble() > 0,
                    checkpoint.toString());
        }
        assertEquals(root + "/shards/fid/evaluator.zip", report.path("extractor").path("uri").asText(),
                "the evaluator is trained and kept next to the shards");
        assertTrue(report.path("real_statistics").path("uri").asText().startsWith(root + "/shards/fid/real-"));
        assertTrue(fid.out.strip().endsWith(run().fid() + "/report.html"), fid.out);
    }

    // ---------------------------------------------------------------------------------------------

    /** The 4-step run on local disk with the same settings, trained once per JVM. */
    private List<String> localReference() throws IOException {
        synchronized (RemoteFileSystemRuns.class) {
            if (localReference == null) {
                Path local = tmp.resolve("local-reference");
                // kept in memory, where the remote runs stream their shards: the bits must not differ
                Command reference = cli(trainArgs(local.resolve("shards").toString(), local.resolve("runs").toString(),
                        4, sets("data.cache=memory")));
                assertEquals(0, reference.code, reference.describe());
                JsonNode success = Json.parse(Files.readString(local.resolve("runs/r/_SUCCESS")));
                localReference = List.of(success.path("params_sha256").path("generator").asText(),
                        success.path("params_sha256").path("discriminator").asText());
            }
            return localReference;
        }
    }

    static org.apache.hadoop.fs.Path path(String uri) {
        return new org.apache.hadoop.fs.Path(uri);
    }

    static String sha256(float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return Hashes.sha256Hex(bytes.array());
    }

    /** Every file under {@code dir} on its filesystem, with its content. */
    static Map<String, byte[]> allFiles(Storage storage, String dir) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        org.apache.hadoop.fs.Path p = path(dir);
        RemoteIterator<LocatedFileStatus> it = storage.fs(p).listFiles(p, true);
        while (it.hasNext()) {
            LocatedFileStatus status = it.next();
            files.put(status.getPath().toString(), storage.readBytes(status.getPath()));
        }
        return files;
    }

    static List<String> sets(String... keyValues) {
        List<String> args = new ArrayList<>();
        for (String kv : keyValues) {
            args.add("--set");
            args.add(kv);
        }
        return args;
    }

    @SafeVarargs
    static List<String> concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> part : parts) {
            all.addAll(part);
        }
        return all;
    }

    /** What one command printed: exit code, its stdout and stderr, the process's console output and log events. */
    record Command(List<String> args, int code, String out, String err, String console, String logs) {
        String describe() {
            return "sparkgan " + String.join(" ", args) + " exited " + code + "\nstderr: " + err + "\nlogs:\n" + logs;
        }

        String everything() {
            return out + "\n" + err + "\n" + console + "\n" + logs;
        }
    }

    /**
     * Runs a command line in this JVM as its own process would: with Hadoop's FileSystem cache empty,
     * capturing what it prints (picocli's out and err, System.out/err, and every log event at the
     * configured levels).
     */
    Command cli(List<String> args) {
        try {
            FileSystem.closeAll();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        int code;
        String logs;
        try (LogCapture capture = new LogCapture()) {
            System.setOut(new PrintStream(new Tee(stdout, console), true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(new Tee(stderr, console), true, StandardCharsets.UTF_8));
            code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
            afterCommand();
            logs = capture.text();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        return new Command(args, code, out.toString(), err.toString(), console.toString(StandardCharsets.UTF_8),
                logs.toString());
    }

    /** Writes to the original stream and to a capture. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public synchronized void write(byte[] bytes, int off, int len) throws IOException {
            a.write(bytes, off, len);
            b.write(bytes, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }
    }

    static Configuration hadoopConf(Map<String, String> settings) {
        Configuration conf = new Configuration();
        settings.forEach(conf::set);
        return conf;
    }
}

package io.sparkgan.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.TestHdfs;
import io.sparkgan.TestSpark;
import io.sparkgan.cli.Main;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.hdfs.protocol.HdfsConstants;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What we promise for clusters, on a real one: a standalone master and two one-core workers on
 * loopback ({@code bin/spark-cluster}), executors as processes of their own, and the packaged
 * {@code -spark.jar} submitted by {@code deploy/standalone/submit.sh} through {@code bin/spark-submit},
 * the way a user submits it. Needs the jar: Maven runs this after {@code package} (failsafe).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterIT {
    private static final Path WORK = LocalCluster.HOME.resolve("target/cluster-it");
    private static final long MIB = 1 << 20;
    private static LocalCluster cluster;
    private static Path jar;
    /** More spark-submit options for the running test's submissions (SPARKGAN_SUBMIT_OPTS). */
    private static String submitOptions = "";

    @BeforeAll
    static void startCluster() throws Exception {
        TestSpark.stop();
        try (Stream<Path> jars = Files.list(LocalCluster.HOME.resolve("target"))) {
            jar = jars.filter(p -> p.getFileName().toString().matches("sparkgan-.*-spark\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no target/sparkgan-*-spark.jar: run ./mvnw verify"));
        }
        LocalCluster.deleteRecursively(WORK);
        Files.createDirectories(WORK);
        cluster = LocalCluster.start(WORK.resolve("cluster"), 2);
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A small Fashion-MNIST run: 2 workers, collective mode, explicit thread count. */
    private static Path config(String name, String... train) throws IOException {
        return configAt(name, WORK.resolve("shards").toString(), WORK.resolve("runs").toString(), train);
    }

    /** The same with the shards and the run directories at the given places (local paths or URIs). */
    private static Path configAt(String name, String shards, String runs, String... train) throws IOException {
        Path conf = WORK.resolve(name + ".conf");
        Files.writeString(conf, String.join("\n",
                "data { source = \"" + LocalCluster.HOME.resolve("data-manifests/fashion-mnist.conf") + "\"",
                "  shards = \"" + shards + "\", limit = 2000 }",
                "model { g-features = 16, d-features = 16 }",
                "train { workers = 2, batch-per-worker = 32, steps = 20, checkpoint-every = 10, sample-every = 10",
                "  log-every = 5, executor-threads = 1, sync = collective, steps-per-job = 10 }",
                "train { " + String.join("\n", train) + " }",
                "fid { enabled = false, samples = 200, batch = 100, evaluator-epochs = 1, evaluator-images = 2000",
                "  kid-subsets = 10, kid-subset-size = 100 }",
                "output.dir = \"" + runs + "\"", ""));
        return conf;
    }

    /** deploy/standalone/submit.sh RUN_ID STAGE ARGS…, its console copied to WORK/RUN_ID-STAGE.log. */
    private static Process submit(Path config, String runId, String stage, Predicate<String> watch,
                                  CountDownLatch seen, String... args) throws IOException {
        return submit(config, runId, stage, runId + "-" + stage, watch, seen, args);
    }

    /** The same, its console copied to WORK/LOG.log. */
    private static Process submit(Path config, String runId, String stage, String logName, Predicate<String> watch,
                                  CountDownLatch seen, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("bash",
                LocalCluster.HOME.resolve("deploy/standalone/submit.sh").toString(), runId, stage));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(LocalCluster.HOME.toFile())
                .redirectErrorStream(true);
        builder.environment().putAll(cluster.submitEnvironment(jar, config, WORK.resolve("runs")));
        builder.environment().put("SPARKGAN_SUBMIT_OPTS", submitOptions);
        Process process = builder.start();
        Path log = WORK.resolve(logName + ".log");
        Thread copier = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8)); PrintWriter out = new PrintWriter(Files.newBufferedWriter(log), true)) {
                for (String line; (line = in.readLine()) != null; ) {
                    out.println(line);
                    if (watch.test(line)) {
                        seen.countDown();
                    }
                }
            } catch (IOException e) {
                // the process ended
            }
        }, "submit-log-" + runId);
        copier.setDaemon(true);
        copier.start();
        return process;
    }

    /** Runs a stage to its end; fails with the tail of its console when it does not exit 0. */
    private static String run(Path config, String runId, String stage, String... args) throws Exception {
        Process p = submit(config, runId, stage, line -> false, new CountDownLatch(1), args);
        assertTrue(p.waitFor(6, TimeUnit.MINUTES), runId + " " + stage + " timed out");
        String log = Files.readString(WORK.resolve(runId + "-" + stage + ".log"));
        assertEquals(0, p.exitValue(), runId + " " + stage + " failed:\n" + LocalCluster.tail(log));
        return log;
    }

    private static JsonNode success(String runId) throws IOException {
        return Json.parse(Files.readString(WORK.resolve("runs").resolve(runId).resolve("_SUCCESS")));
    }

    /** The same run in local[2] in this JVM, as bin/sparkgan runs it on a laptop. */
    private static JsonNode localRun(Path config, String runId, String... sets) throws IOException {
        List<String> args = new ArrayList<>(List.of("train", "--config", config.toString(),
                "--set", "spark.master=local[2]", "--set", "run.id=" + runId));
        for (String set : sets) {
            args.addAll(List.of("--set", set));
        }
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
                args.toArray(String[]::new));
        assertEquals(0, code, err.toString());
        return success(runId);
    }

    @Test
    void prepareTrainFidAndSampleOnTheClusterAndTheRunEqualsLocalModeBitForBit() throws Exception {
        Path config = config("e2e");
        run(config, "e2e", "prepare");
        assertTrue(Files.exists(WORK.resolve("shards/dataset.json")));
        String train = run(config, "e2e", "train");
        assertTrue(train.contains("(train.sync = collective)"), LocalCluster.tail(train));
        JsonNode onCluster = success("e2e");
        JsonNode local = localRun(config, "e2e-local");
        assertEquals(local.path("params_sha256"), onCluster.path("params_sha256"),
                "a cluster run and a local[2] run of the same config end with the same parameters");

        run(config, "e2e", "fid", "--checkpoints", "all");
        JsonNode report = Json.parse(Files.readString(WORK.resolve("runs/e2e/fid/report.json")));
        assertEquals(4, report.path("checkpoints").size(), "two checkpoints, each generator: " + report);
        assertTrue(report.path("checkpoints").get(3).path("fid").asDouble() > 0);

        Path samples = WORK.resolve("samples");
        run(config, "e2e", "sample", "--checkpoint", WORK.resolve("runs/e2e").toString(), "--n", "20",
                "--out", samples.toString());
        assertEquals(20, Json.parse(Files.readString(samples.resolve("samples.json"))).path("count").asInt());
        assertTrue(Files.exists(samples.resolve("sample-00000019.png")));
    }

    /**
     * The same stages with the shards and the run directory on HDFS (a MiniDFSCluster in this JVM,
     * reached by the driver and by both executor processes over loopback): the executors read their
     * partitions from hdfs://, the driver commits checkpoints there. On the way the run directory
     * fills up (an HDFS space quota): the run stops saying so, its last checkpoint stays readable, and
     * the rerun after space is freed resumes to the parameters of the same run in local[2].
     */
    @Test
    void prepareTrainFidAndSampleWithShardsAndRunOnHdfsThroughAFullFilesystem() throws Exception {
        MiniDFSCluster hdfs = TestHdfs.start(WORK.resolve("hdfs"), 0);
        // a quota charges every file being written a whole block, times its replication
        submitOptions = "--conf spark.hadoop.dfs.blocksize=" + MIB + " --conf spark.hadoop.dfs.replication=1";
        try {
            String root = hdfs.getURI() + "/sparkgan";
            Path config = configAt("hdfs", root + "/shards", root + "/runs");
            run(config, "hdfs", "prepare");
            run(config, "hdfs", "train", "--set", "train.steps=10"); // a first checkpoint

            DistributedFileSystem fs = hdfs.getFileSystem();
            org.apache.hadoop.fs.Path runDir = new org.apache.hadoop.fs.Path("/sparkgan/runs/hdfs");
            fs.setQuota(runDir, HdfsConstants.QUOTA_DONT_SET, fs.getContentSummary(runDir).getSpaceConsumed()
                    + 5 * MIB / 2); // less than a checkpoint more
            Process full = submit(config, "hdfs", "train", "hdfs-train-full", line -> false, new CountDownLatch(1));
            assertTrue(full.waitFor(6, TimeUnit.MINUTES), "the run stopped");
            String log = Files.readString(WORK.resolve("hdfs-train-full.log"));
            assertEquals(1, full.exitValue(), LocalCluster.tail(log));
            String message = log.lines().filter(l -> l.startsWith("sparkgan: step ")).findFirst().orElse(LocalCluster.tail(log));
            assertTrue(message.contains("quota") && message.contains("The filesystem is full")
                    && message.endsWith("The last good checkpoint is " + root + "/runs/hdfs/checkpoints/step-00000010."),
                    message);
            fs.setQuota(runDir, HdfsConstants.QUOTA_DONT_SET, HdfsConstants.QUOTA_RESET); // space freed

            String train = run(config, "hdfs", "train");
            assertTrue(train.contains("(train.sync = collective)") && train.contains("from its checkpoint at step 10"),
                    LocalCluster.tail(train));
            Storage storage = new Storage(new Configuration());
            JsonNode onCluster = Json.parse(storage.readString(Storage.qualify(root + "/runs/hdfs/_SUCCESS")));
            assertEquals(localRun(config, "hdfs-local", "output.dir=" + WORK.resolve("runs")).path("params_sha256"),
                    onCluster.path("params_sha256"), "a cluster run on HDFS, stopped and resumed, equals local[2]");

            run(config, "hdfs", "fid", "--run", root + "/runs/hdfs");
            JsonNode report = Json.parse(storage.readString(Storage.qualify(root + "/runs/hdfs/fid/report.json")));
            assertTrue(report.path("checkpoints").get(0).path("fid").asDouble() > 0, report.toString());

            run(config, "hdfs", "sample", "--checkpoint", root + "/runs/hdfs", "--n", "10",
                    "--out", root + "/samples");
            assertTrue(storage.exists(Storage.qualify(root + "/samples/sample-00000009.png")));
        } finally {
            submitOptions = "";
            hdfs.shutdown(true);
        }
    }

    /**
     * Starts a run, SIGKILLs one of its two executors half a second after the tasks after the run's
     * first step started (in collective mode the first job is that step alone, so the kill lands in
     * the second job, steps 2-30), waits for the run to end and returns its console.
     */
    private static String runAndKillAnExecutor(Path config, String runId) throws Exception {
        CountDownLatch firstStep = new CountDownLatch(1);
        Process train = submit(config, runId, "train", line -> line.contains("TrainingJob: step 1/60 "), firstStep);
        assertTrue(firstStep.await(4, TimeUnit.MINUTES), "the run reached its first step");
        // into the next job: both of its tasks running (on a loaded machine they can take seconds to start)
        long started = cluster.executorLogLines("Executor: Running task");
        for (int i = 0; i < 600 && cluster.executorLogLines("Executor: Running task") < started + 2; i++) {
            Thread.sleep(100);
        }
        Thread.sleep(500);
        List<Long> executors = cluster.executorPids();
        assertEquals(2, executors.size(), "two executors: " + executors);
        long killed = System.nanoTime();
        LocalCluster.kill(executors.get(0));
        assertTrue(train.waitFor(6, TimeUnit.MINUTES), "the run ended");
        String log = Files.readString(WORK.resolve(runId + "-train.log"));
        assertEquals(0, train.exitValue(), LocalCluster.tail(log));
        assertFalse(cluster.executorPids().contains(executors.get(0)));
        System.out.printf("%s: executor %d killed; the run ended %.1f s later%n", runId, executors.get(0),
                (System.nanoTime() - killed) / 1e9);
        return log;
    }

    /** A second job of 29 larger steps, running for seconds: long enough to be killed in. */
    private static final String[] SLOWER = {"batch-per-worker = 64", "steps = 60", "checkpoint-every = 30",
            "sample-every = 30", "steps-per-job = 60"};

    /**
     * An executor SIGKILLed in the middle of a collective job: the job fails, the standalone master
     * starts a replacement executor, the driver runs the job again from its starting state, and the
     * run ends bit-identical to one that was never interrupted (here: the same run in local[2]).
     */
    @Test
    void anExecutorKilledInTheMiddleOfACollectiveJobIsReplacedAndTheRunEndsBitIdentical() throws Exception {
        Path config = config("kill-collective", SLOWER);
        String log = runAndKillAnExecutor(config, "killed-collective");
        assertTrue(log.contains("the collective job for steps 2-30 failed (attempt 1 of 8)"), LocalCluster.tail(log));
        assertEquals(localRun(config, "killed-collective-local").path("params_sha256"),
                success("killed-collective").path("params_sha256"));
    }

    /** The same in driver mode: Spark retries the lost task, recomputing the lost partition's data. */
    @Test
    void anExecutorKilledDuringADriverModeRoundIsReplacedAndTheRunEndsBitIdentical() throws Exception {
        Path config = config("kill-driver", Stream.concat(Stream.of(SLOWER), Stream.of("sync = driver"))
                .toArray(String[]::new));
        String log = runAndKillAnExecutor(config, "killed-driver");
        assertTrue(log.contains("(train.sync = driver)") && log.contains("Lost executor"), LocalCluster.tail(log));
        assertEquals(localRun(config, "killed-driver-local").path("params_sha256"),
                success("killed-driver").path("params_sha256"));
    }

    /**
     * The driver (the spark-submit client, in client mode) SIGKILLed mid-run: resubmitting the same
     * command takes the run directory's lease over at once (its holder's process is gone) and resumes
     * from the newest checkpoint, ending bit-identical to an uninterrupted run.
     */
    @Test
    void aDriverKilledMidRunIsResubmittedAndTheRunEndsBitIdentical() throws Exception {
        Path config = config("driver-kill", SLOWER);
        CountDownLatch checkpointed = new CountDownLatch(1);
        Process driver = submit(config, "driver-killed", "train",
                line -> line.contains("train: checkpoint") && line.contains("step-00000030"), checkpointed);
        assertTrue(checkpointed.await(4, TimeUnit.MINUTES), "the run reached its step-30 checkpoint");
        Thread.sleep(1000); // into the job for steps 31-60
        driver.destroyForcibly(); // submit.sh execs spark-submit, which execs the driver's JVM: this is the driver
        assertTrue(driver.waitFor(1, TimeUnit.MINUTES));
        Files.move(WORK.resolve("driver-killed-train.log"), WORK.resolve("driver-killed-train-1.log"));
        assertFalse(Files.exists(WORK.resolve("runs/driver-killed/_SUCCESS")), "killed before the end");

        String log = run(config, "driver-killed", "train");
        assertTrue(log.contains("resuming ") && log.contains("from its checkpoint at step 30"), LocalCluster.tail(log));
        assertEquals(localRun(config, "driver-killed-local").path("params_sha256"),
                success("driver-killed").path("params_sha256"));
    }

    /**
     * Two drivers on one run directory, as an Airflow retry next to its zombie or a user rerunning with
     * another --set makes them: the second (another seed) refuses within a heartbeat, naming the
     * holder; the first finishes its run alone, every step logged once.
     */
    @Test
    void aSecondDriverOnARunInProgressRefusesNamingTheHolder() throws Exception {
        // the first driver takes the run's lease before anything else; its run lasts long enough (about
        // 20 s) for the second to start meanwhile
        Path config = config("lease", "batch-per-worker = 64", "steps = 300", "checkpoint-every = 300",
                "sample-every = 300", "steps-per-job = 300", "log-every = 20");
        CountDownLatch started = new CountDownLatch(1);
        // a short lease: renewed every 2 s, so that the second sees it renewed within seconds
        Process first = submit(config, "leased", "train", line -> line.contains("Preparer: prepare: "), started,
                "--set", "run.lease-timeout-seconds=12");
        assertTrue(started.await(4, TimeUnit.MINUTES), "the first driver holds the run's lease");
        long second = System.nanoTime();
        Process other = submit(config, "leased", "train", "leased-train-2", line -> false, new CountDownLatch(1),
                "--set", "train.seed=2", "--set", "run.lease-timeout-seconds=12");
        assertTrue(other.waitFor(2, TimeUnit.MINUTES), "the second driver gave up");
        System.out.printf("leased: the second driver refused %.1f s after it was submitted%n",
                (System.nanoTime() - second) / 1e9);
        String refused = Files.readString(WORK.resolve("leased-train-2.log"));
        assertEquals(1, other.exitValue(), LocalCluster.tail(refused));
        String message = refused.lines().filter(l -> l.contains("is in use by")).findFirst().orElse(LocalCluster.tail(refused));
        assertTrue(message.matches("sparkgan: .*/runs/leased is in use by .*pid \\d+.*, which holds its lease \\(since"
                + " .*\\) and is renewing it\\. .*"), message);

        assertTrue(first.waitFor(6, TimeUnit.MINUTES), "the first driver finished");
        assertEquals(0, first.exitValue(), LocalCluster.tail(Files.readString(WORK.resolve("leased-train.log"))));
        List<Long> logged = Files.readAllLines(WORK.resolve("runs/leased/metrics.jsonl")).stream()
                .map(l -> Json.parse(l).path("step").asLong()).toList();
        assertEquals(LongStream.concat(LongStream.of(1), LongStream.rangeClosed(1, 15).map(i -> 20 * i)).boxed()
                .toList(), logged, "one driver's metrics, each step once");
        assertEquals(300, success("leased").path("steps").asLong());
    }

    /**
     * A worker lost for good (it and its executor SIGKILLed): no replacement comes, and the run stops
     * after train.executor-wait-seconds with one message naming the lost executor, what to do and the
     * last good checkpoint. Runs last: the cluster has one worker afterwards.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void anExecutorThatIsNeverReplacedStopsTheRunNamingItAndTheLastGoodCheckpoint() throws Exception {
        Path config = config("lost", Stream.concat(Stream.of(SLOWER), Stream.of("executor-wait-seconds = 10"))
                .toArray(String[]::new));
        CountDownLatch checkpointed = new CountDownLatch(1);
        Process train = submit(config, "lost", "train",
                line -> line.contains("train: checkpoint") && line.contains("step-00000030"), checkpointed);
        assertTrue(checkpointed.await(4, TimeUnit.MINUTES), "the run reached its step-30 checkpoint");
        cluster.killWorker(2);
        assertTrue(train.waitFor(3, TimeUnit.MINUTES), "the run stopped");
        String log = Files.readString(WORK.resolve("lost-train.log"));
        assertEquals(1, train.exitValue(), LocalCluster.tail(log));
        String message = log.lines().filter(l -> l.startsWith("sparkgan: steps ")).findFirst().orElse(LocalCluster.tail(log));
        assertTrue(message.matches("sparkgan: steps 31-60: the collective job needs 2 task slots and the cluster has"
                + " had 1 for 10 s: executor \\d+ \\(.*\\) lost, and no replacement came within"
                + " train.executor-wait-seconds = 10\\. .* The last good checkpoint is .*/lost/checkpoints/"
                + "step-00000030\\."), message);
    }

    /** A wrong kernel on the executors only (injected as spark.executorEnv would carry OPENBLAS_CORETYPE)
     * stops the run before any step: one line naming the executor, kernel and CPU; no stack trace. */
    @Test
    void anExecutorWithAWrongKernelStopsTheRunNamingIt() throws Exception {
        submitOptions = "--conf spark.executorEnv.SPARKGAN_SELFCHECK_PERTURB=conv2d_bp";
        try {
            Process train = submit(config("wrong-kernel"), "wrong-kernel", "train", l -> false, new CountDownLatch(1));
            assertTrue(train.waitFor(4, TimeUnit.MINUTES), "the run stopped");
            String log = Files.readString(WORK.resolve("wrong-kernel-train.log"));
            assertEquals(1, train.exitValue(), LocalCluster.tail(log));
            List<String> messages = log.lines().filter(l -> l.startsWith("sparkgan: ")
                    && !l.contains("spark-submit --master")).toList(); // not the deploy script's echoed command
            assertEquals(1, messages.size(), LocalCluster.tail(log));
            assertTrue(messages.get(0).matches("sparkgan: native kernel self-check failed on host \\S+ \\(executor"
                    + " \\d+\\): conv2d_bp float \\[32,16,14,14\\]->\\[32,32,7,7\\] k4 s2 p1 gives wrong numbers .*"
                    + " OpenBLAS \\S+ core \\S+.*spark\\.executorEnv\\.ONEDNN_MAX_CPU_ISA=\\S+ .*"), messages.get(0));
            assertTrue(log.lines().noneMatch(l -> l.startsWith("\tat ") || l.startsWith("Caused by")),
                    "no stack trace anywhere on the console:\n" + LocalCluster.tail(log));
            assertFalse(Files.exists(WORK.resolve("runs/wrong-kernel/checkpoints/step-00000010")), "no step ran");
        } finally {
            submitOptions = "";
        }
    }
}

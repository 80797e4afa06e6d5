package io.sparkgan.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A Spark standalone cluster on 127.0.0.1, started by {@code bin/spark-cluster} (the same script users
 * try the deploy scripts with): a master and workers as JVMs of their own, each worker starting its
 * executors as separate processes. Stopped, executors included, by {@link #close}; its logs and work
 * directories stay in {@link #dir} for a failed test to be read.
 */
final class LocalCluster implements AutoCloseable {
    static final Path HOME = Path.of("").toAbsolutePath();
    private final Path dir;
    private final String master;

    private LocalCluster(Path dir, String master) {
        this.dir = dir;
        this.master = master;
    }

    /** Starts a master and {@code workers} one-core workers; their files go under {@code dir}. */
    static LocalCluster start(Path dir, int workers) throws IOException, InterruptedException {
        Process p = script(dir, "start", String.valueOf(workers)).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(3, TimeUnit.MINUTES) || p.exitValue() != 0 || !out.startsWith("spark://")) {
            throw new IllegalStateException("bin/spark-cluster start failed (exit " + p.exitValue() + "): " + out
                    + "; logs in " + dir.resolve("logs"));
        }
        return new LocalCluster(dir, out.lines().reduce((a, b) -> b).orElseThrow());
    }

    private static ProcessBuilder script(Path dir, String... args) {
        List<String> command = new ArrayList<>(List.of(HOME.resolve("bin/spark-cluster").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(HOME.toFile())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("SPARKGAN_CLUSTER_DIR", dir.toString());
        return builder;
    }

    String master() {
        return master;
    }

    Path dir() {
        return dir;
    }

    /**
     * The pids of this cluster's executor processes now running. Spark's status API does not give
     * them: they are found as processes whose working directory is one of this cluster's executor
     * directories ({@code work-N/<app>/<executor>}).
     */
    List<Long> executorPids() throws IOException {
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = Files.readString(proc.resolve("cmdline"), StandardCharsets.ISO_8859_1);
                    if (cmdline.contains("CoarseGrainedExecutorBackend")
                            && Files.readSymbolicLink(proc.resolve("cwd")).startsWith(dir)) {
                        pids.add(Long.parseLong(proc.getFileName().toString()));
                    }
                } catch (IOException e) {
                    // the process ended while we looked
                }
            }
        }
        return pids;
    }

    /** How many lines of this cluster's executor logs (work-N/app/executor/stderr) contain {@code text}. */
    long executorLogLines(String text) throws IOException {
        long lines = 0;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path log : files.filter(f -> f.getFileName().toString().equals("stderr")).toList()) {
                try (Stream<String> content = Files.lines(log, StandardCharsets.ISO_8859_1)) {
                    lines += content.filter(l -> l.contains(text)).count();
                }
            }
        }
        return lines;
    }

    /** SIGKILL, as a node failure or the kernel's OOM killer ends a process. */
    static void kill(long pid) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", "-KILL", Long.toString(pid)).inheritIO().start();
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGKILLs worker {@code n} (1-based) and the executors it started: a machine gone for good. */
    void killWorker(int n) throws IOException, InterruptedException {
        long pid = Long.parseLong(Files.readString(dir.resolve("worker-" + n + ".pid")).strip());
        Process p = new ProcessBuilder("kill", "-KILL", "--", "-" + pid).inheritIO().start(); // its process group
        p.waitFor(10, TimeUnit.SECONDS);
    }

    /** The environment that makes deploy/standalone/submit.sh submit here, CPU executors, small sizes. */
    Map<String, String> submitEnvironment(Path jar, Path config, Path outputDir) {
        return Map.ofEntries(Map.entry("SPARK_SUBMIT", HOME.resolve("bin/spark-submit").toString()),
                Map.entry("SPARKGAN_MASTER", master), Map.entry("SPARKGAN_GPUS_PER_EXECUTOR", "0"),
                Map.entry("SPARKGAN_JAR", jar.toString()), Map.entry("SPARKGAN_CONFIG", config.toString()),
                Map.entry("SPARKGAN_OUTPUT_DIR", outputDir.toString()), Map.entry("SPARKGAN_EXECUTORS", "2"),
                Map.entry("SPARKGAN_EXECUTOR_CORES", "1"), Map.entry("SPARKGAN_EXECUTOR_MEMORY_GB", "1"),
                Map.entry("SPARKGAN_EXECUTOR_OFFHEAP_GB", "1"), Map.entry("SPARKGAN_DRIVER_MEMORY_GB", "2"),
                Map.entry("SPARKGAN_DRIVER_OFFHEAP_GB", "2"),
                Map.entry("SPARK_LOCAL_IP", "127.0.0.1")); // the driver too stays on loopback
    }

    @Override
    public void close() throws IOException, InterruptedException {
        Process p = script(dir, "stop").redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
        p.waitFor(1, TimeUnit.MINUTES);
    }

    /** The last 60 lines of a console log, for assertion messages. */
    static String tail(String log) {
        List<String> lines = log.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}

package io.sparkgan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.io.Json;
import io.sparkgan.train.TrainingBenchmark;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure the training step of the configured model: one process alone, then Spark training",
                "in spark.master; print one JSON object (images/s, sync fraction, time split, bytes, memory)."})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--threads", description = "Threads for the single-process step (default: all cores).")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--steps", description = "Measured steps, each part (default: ${DEFAULT-VALUE}).")
    int steps = 30;

    @Option(names = "--warmup", description = "Unmeasured steps first (default: ${DEFAULT-VALUE}).")
    int warmup = 5;

    @Option(names = "--torch", paramLabel = "SCRIPT",
            description = "Also time PyTorch on the same model and threads, side by side (e.g. src/bench/torch_dcgan.py).")
    String torchScript;

    @Option(names = "--python", description = "Python with torch for --torch (default: ${DEFAULT-VALUE}).")
    String python = "python3";

    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SparkganConfig config = options.load(com.typesafe.config.ConfigFactory.empty(), List.of(
                "train.steps=" + (steps + warmup), "train.log-every=1", "train.sample-every=1000000000",
                "run.id=bench-" + System.currentTimeMillis(), "fid.enabled=false"));
        ObjectNode result;
        try (JavaSparkContext sc = SparkContexts.start(config.spark(), "bench")) {
            result = TrainingBenchmark.run(config, sc, threads, steps, steps, warmup);
        }
        if (torchScript != null) {
            JsonNode torch = torch(config);
            result.set("torch", torch);
            if (torch.has("torch_images_per_s")) {
                result.put("single_process_vs_torch",
                        result.path("single_process_images_per_s").asDouble() / torch.path("torch_images_per_s").asDouble());
            }
        }
        spec.commandLine().getOut().println(Json.pretty(result));
        return 0;
    }

    /** Runs the PyTorch reference right after our single-process figure, same threads and batch. */
    private JsonNode torch(SparkganConfig config) throws Exception {
        List<String> command = new ArrayList<>(List.of(python, new File(torchScript).getPath(),
                "--g-features", String.valueOf(config.model().gFeatures()),
                "--d-features", String.valueOf(config.model().dFeatures()),
                "--latent-dim", String.valueOf(config.model().latentDim()),
                "--batch", String.valueOf(config.train().batchPerWorker()),
                "--threads", String.valueOf(threads), "--steps", String.valueOf(steps),
                "--warmup", String.valueOf(warmup)));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!process.waitFor(10, TimeUnit.MINUTES) || process.exitValue() != 0) {
            ObjectNode failed = Json.object();
            failed.put("error", "PyTorch reference failed: " + output.lines().reduce((x, y) -> y).orElse(""));
            return failed;
        }
        return Json.parse(output.lines().reduce((x, y) -> y).orElseThrow());
    }
}

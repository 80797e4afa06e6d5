package io.sparkgan.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.ConfigFactory;
import io.sparkgan.bench.DataModesBenchmark;
import io.sparkgan.bench.TrainingBenchmark;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.io.Json;
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
            description = {"Also time PyTorch on the same model and threads, side by side: src/bench/torch_dcgan.py,",
                    "or src/bench/torch_stylegan2.py with model.architecture = stylegan2."})
    String torchScript;

    @Option(names = "--pairs", description = {"With --torch or --data-modes: how many timings to interleave, each pair",
            "back to back; the ratio reported is the median of the pairs' ratios (default: ${DEFAULT-VALUE})."})
    int pairs = 3;

    @Option(names = "--python", description = "Python with torch for --torch (default: ${DEFAULT-VALUE}).")
    String python = "python3";

    @Option(names = "--data-modes", paramLabel = "DIR", description = {"Also train on random shards written under DIR,",
            "kept in memory against streamed (data.cache), in --pairs interleaved pairs, and measure the live heap",
            "of each mode for datasets of --data-images and 4× as many."})
    String dataModes;

    @Option(names = "--data-images", description = "Images in the --data-modes dataset (default: ${DEFAULT-VALUE}).")
    int dataImages = 20_000;

    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SparkganConfig config = options.load(ConfigFactory.empty(), List.of(
                "train.steps=" + (steps + warmup), "train.log-every=1", "train.sample-every=1000000000",
                "run.id=bench-" + System.currentTimeMillis(), "fid.enabled=false"));
        ObjectNode result;
        try (JavaSparkContext sc = SparkContexts.start(config.spark(), "bench")) {
            result = TrainingBenchmark.run(config, sc, threads, steps, steps, warmup);
            if (dataModes != null) {
                result.set("data_modes", DataModesBenchmark.run(config, sc, dataModes, dataImages, pairs, steps,
                        warmup));
            }
        }
        if (torchScript != null) {
            compareWithTorch(config, result);
        }
        spec.commandLine().getOut().println(Json.pretty(result));
        return 0;
    }

    /**
     * Times our single-process step and PyTorch's back to back, {@code pairs} times. On a shared
     * machine the speed of both drifts by tens of percent within a minute, and it drifts for both
     * alike within one pair, so the median of the pairs' ratios is the figure to trust; each pair is
     * printed too.
     */
    private void compareWithTorch(SparkganConfig config, ObjectNode result) throws Exception {
        ArrayNode rows = Json.mapper().createArrayNode();
        List<Double> ratios = new ArrayList<>();
        List<Double> torchSpeeds = new ArrayList<>();
        JsonNode torch = null;
        for (int i = 0; i < Math.max(1, pairs); i++) {
            double ours = TrainingBenchmark.singleProcess(config, threads, steps, warmup);
            torch = torch(config);
            if (!torch.has("torch_images_per_s")) {
                break; // the error is reported below
            }
            double theirs = torch.path("torch_images_per_s").asDouble();
            ObjectNode row = rows.addObject();
            row.put("sparkgan_images_per_s", ours);
            row.put("torch_images_per_s", theirs);
            row.put("ratio", ours / theirs);
            ratios.add(ours / theirs);
            torchSpeeds.add(theirs);
        }
        ObjectNode summary = torch.deepCopy();
        if (!ratios.isEmpty()) {
            summary.put("torch_images_per_s", median(torchSpeeds));
            summary.set("pairs", rows);
            result.put("single_process_vs_torch", median(ratios));
        }
        result.set("torch", summary);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Runs the PyTorch reference with the same model, threads and batch. */
    private JsonNode torch(SparkganConfig config) throws Exception {
        List<String> command = new ArrayList<>(List.of(python, new File(torchScript).getPath(),
                "--g-features", String.valueOf(config.model().gFeatures()),
                "--d-features", String.valueOf(config.model().dFeatures()),
                "--latent-dim", String.valueOf(config.model().latentDim()),
                "--image-size", String.valueOf(config.data().imageSize()),
                "--channels", String.valueOf(config.data().channels()),
                "--batch", String.valueOf(config.train().batchPerWorker()),
                "--threads", String.valueOf(threads), "--steps", String.valueOf(steps),
                "--warmup", String.valueOf(warmup),
                // StyleGAN2's twin (src/bench/torch_stylegan2.py) reads these; DCGAN's ignores them
                "--mapping-layers", String.valueOf(config.model().style().mappingLayers()),
                "--mbstd-group", String.valueOf(config.model().style().groupSize()),
                "--style-mixing", String.valueOf(config.model().style().mixing()),
                "--r1-gamma", String.valueOf(config.train().r1Gamma()),
                "--r1-every", String.valueOf(config.train().r1Every())));
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

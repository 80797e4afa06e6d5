package io.sparkgan.cli;

import io.sparkgan.config.ConfigException;
import io.sparkgan.config.DataConfig;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.eval.Sampling;
import io.sparkgan.eval.Translation;
import io.sparkgan.io.Storage;
import io.sparkgan.runtime.ExecutorThreads;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "translate", mixinStandardHelpOptions = true,
        description = {"Map every image under a folder through a translation checkpoint's generator (pix2pix) on",
                "the executors: each output is a PNG under the same relative path in --out, marked synthetic;",
                "translate.json (written last) lists what was written and what was skipped, with the reason."})
final class TranslateCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
            description = "A committed checkpoint (<run>/checkpoints/step-NNNNNNNN) or a run directory (its newest).")
    String checkpoint;

    @Option(names = "--in", required = true, paramLabel = "URI",
            description = "The folder of PNG or JPEG images to map, read recursively (any Hadoop URI).")
    String in;

    @Option(names = "--out", required = true, paramLabel = "URI", description = "Output directory (any Hadoop URI).")
    String out;

    @Option(names = "--layout", defaultValue = "images", paramLabel = "images|aligned",
            description = {"What each file holds: one image, mapped whole (resized as prepare resizes), or a pair",
                    "side by side, pix2pix's layout, of which --direction's input half is mapped (default: ${DEFAULT-VALUE})."})
    String layout;

    @Option(names = "--direction", paramLabel = "AtoB|BtoA",
            description = {"With --layout aligned: which half is the input (default: the one the checkpoint was",
                    "trained with, its run's data.direction)."})
    String direction;

    @Option(names = "--seed", defaultValue = "1",
            description = "Seed of G's dropout, the paper's test-time noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch", defaultValue = "64",
            description = "Images per forward pass; each image is normalised on its own (default: ${DEFAULT-VALUE}).")
    int batch;

    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!layout.equals("images") && !layout.equals("aligned")) {
            throw new ConfigException("--layout " + layout + ": expected images or aligned");
        }
        if (direction != null && !direction.equals("AtoB") && !direction.equals("BtoA")) {
            throw new ConfigException("--direction " + direction + ": expected AtoB or BtoA");
        }
        if (direction != null && layout.equals("images")) {
            throw new ConfigException("--direction " + direction + " picks a half of an aligned pair: give --layout"
                    + " aligned with it, or leave it out to map each image whole");
        }
        if (batch < 1) {
            throw new ConfigException("--batch " + batch + ": expected at least 1");
        }
        SparkganConfig config = options.load();
        try (JavaSparkContext sc = SparkContexts.start(config.spark(), "translate")) {
            Storage storage = new Storage(sc.hadoopConfiguration());
            Path dir = Sampling.resolveCheckpoint(storage, checkpoint);
            Translation.Result result = Translation.write(sc, storage, dir, Storage.qualify(in), Storage.qualify(out),
                    new Translation.Settings(layout.equals("aligned"), direction == null ? null : "BtoA".equals(direction)
                            ? DataConfig.Direction.B_TO_A : DataConfig.Direction.A_TO_B, seed, batch,
                            ExecutorThreads.forTasks(sc, config.train().executorThreads()), config.data().maxPixels()));
            spec.commandLine().getOut().println(new Path(result.out(), Translation.MANIFEST));
        }
        return 0;
    }
}

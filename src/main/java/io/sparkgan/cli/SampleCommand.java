package io.sparkgan.cli;

import io.sparkgan.config.ConfigException;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.eval.SampleStyle;
import io.sparkgan.eval.Sampling;
import io.sparkgan.model.NoiseMode;
import io.sparkgan.io.Storage;
import io.sparkgan.runtime.ExecutorThreads;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "sample", mixinStandardHelpOptions = true,
        description = {"Write N generated images (one PNG each, marked synthetic) from a checkpoint to any Hadoop",
                "filesystem, plus interpolation.png between the latent vectors of two seeds and samples.json",
                "(written last). Generation runs on the executors; the same arguments give the same files."})
final class SampleCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "DIR",
            description = "A committed checkpoint (<run>/checkpoints/step-NNNNNNNN) or a run directory (its newest).")
    String checkpoint;

    @Option(names = "--n", required = true, paramLabel = "N", description = "Images to write.")
    long count;

    @Option(names = "--out", required = true, paramLabel = "URI", description = "Output directory (any Hadoop URI).")
    String out;

    @Option(names = "--seed", defaultValue = "1", description = "Noise seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch", defaultValue = "64",
            description = "Images per forward pass; batch norm uses batch statistics (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--generator", defaultValue = "better", paramLabel = "better|ema|raw",
            description = {"Which of the checkpoint's generators: the one its run's FID report scored lower",
                    "at this checkpoint (the raw one when no report scores both), or as named",
                    "(default: ${DEFAULT-VALUE}; raw where the checkpoint has no EMA)."})
    String generator;

    @Option(names = "--interpolate", defaultValue = "1,2", paramLabel = "SEED,SEED",
            description = "Seeds of the interpolation's two latent vectors (default: ${DEFAULT-VALUE}).")
    String interpolate;

    @Option(names = "--frames", defaultValue = "10",
            description = "Images in the interpolation strip, 0 for none (default: ${DEFAULT-VALUE}).")
    int frames;

    @Option(names = "--class", split = ",", paramLabel = "K[,K...]",
            description = {"A conditional generator's classes (0-based, as in the dataset's dataset.json), taken in",
                    "turn: image i is of the (i mod count)-th; default: every class in turn."})
    int[] classes;

    @Option(names = "--truncation", paramLabel = "PSI",
            description = {"StyleGAN2 only: the truncation trick, each w moved to w̄ + ψ(w − w̄), ψ in [0, 1]",
                    "(0: every image is the run's mean image; default: 1, none)."})
    Double truncation;

    @Option(names = "--mix-seed", paramLabel = "S2",
            description = {"StyleGAN2 only: style mixing with a second seed. Image i takes style inputs 0 … K−1",
                    "from --seed's image i and the rest from S2's image i (K: --crossover)."})
    Long mixSeed;

    @Option(names = "--crossover", paramLabel = "K",
            description = {"With --mix-seed: the style input from which S2's w is used, 0 (S2's image) to num_ws",
                    "(--seed's image); num_ws is two per resolution from 4×4, e.g. 8 at 32×32."})
    Integer crossover;

    @Option(names = "--noise-mode", paramLabel = "const|random|none",
            description = {"StyleGAN2 only: per-pixel noise from the checkpoint's constant buffers (the same seed",
                    "gives the same image), drawn per image from the seed, or none (default: const)."})
    String noiseMode;

    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    /** The StyleGAN2 options, checked as far as they can be without the checkpoint. */
    private SampleStyle style() {
        if ((mixSeed == null) != (crossover == null)) {
            throw new ConfigException("--mix-seed and --crossover go together: S2 names the second seed and K the"
                    + " style input from which its w is used");
        }
        if (truncation != null && !(truncation >= 0 && truncation <= 1)) {
            throw new ConfigException("--truncation " + truncation + ": expected ψ in [0, 1]");
        }
        NoiseMode noise;
        try {
            noise = noiseMode == null ? NoiseMode.CONST : NoiseMode.of(noiseMode);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--noise-mode " + noiseMode + ": expected const, random or none");
        }
        if (truncation == null && mixSeed == null && noiseMode == null) {
            return SampleStyle.NONE;
        }
        return new SampleStyle(truncation == null ? 1 : truncation, mixSeed, crossover == null ? 0 : crossover, noise);
    }

    @Override
    public Integer call() throws Exception {
        if (!List.of("better", "ema", "raw").contains(generator)) {
            throw new ConfigException("--generator " + generator + ": expected better, ema or raw");
        }
        if (count < 0 || batch < 1 || frames < 0 || frames > 1000) {
            throw new ConfigException("--n " + count + " --batch " + batch + " --frames " + frames
                    + ": expected N ≥ 0, a batch of at least 1 and 0 to 1000 frames");
        }
        String[] ends = interpolate.split(",");
        long from;
        long to;
        try {
            if (ends.length != 2) {
                throw new NumberFormatException();
            }
            from = Long.parseLong(ends[0].trim());
            to = Long.parseLong(ends[1].trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("--interpolate " + interpolate + ": expected two seeds such as 1,2");
        }
        SampleStyle style = style();
        SparkganConfig config = options.load();
        try (JavaSparkContext sc = SparkContexts.start(config.spark(), "sample")) {
            Storage storage = new Storage(sc.hadoopConfiguration());
            Path dir = Sampling.resolveCheckpoint(storage, checkpoint);
            Sampling.Result result = Sampling.write(sc, storage, dir, Storage.qualify(out),
                    new Sampling.Settings(count, seed, batch, generator, from, to, frames,
                            ExecutorThreads.forTasks(sc, config.train().executorThreads()), classes, style));
            spec.commandLine().getOut().println(new Path(result.out(), Sampling.MANIFEST));
        }
        return 0;
    }
}

package io.sparkgan.config;

import com.typesafe.config.Config;
import io.sparkgan.model.Augmentation;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import io.sparkgan.model.Normalisation;
import java.time.Duration;

/**
 * The resolved configuration read into its typed records, one section at a time. Every key is
 * checked against its range here, and every problem is collected, so that a bad config gets one
 * message listing all of them (key, value, what was expected).
 */
final class TypedSections {
    private static final long BIG = Long.MAX_VALUE;
    /** reference.conf's train.l1-weight: pix2pix's λ. */
    private static final double TRANSLATION_L1_WEIGHT = 100;

    private TypedSections() {
    }

    static SparkganConfig typed(Config c, boolean masterExplicit) {
        KeyReader r = new KeyReader(c);
        SparkSettings spark = spark(r, masterExplicit);
        DataConfig data = data(r);
        ModelConfig model = model(r);
        TrainConfig train = train(r);
        if (!model.family().builds(data.imageSize())) {
            r.problem("data.image-size", "for model.architecture = " + model.family().key() + " " + model.family().sizes());
        }
        if (model.family() == GanArchitecture.Family.STYLEGAN2 && train.batchPerWorker() % model.style().groupSize() != 0) {
            r.problem("model.mbstd-group", "a divisor of train.batch-per-worker = " + train.batchPerWorker()
                    + " (minibatch standard deviation groups each worker's images)");
        }
        translation(r, model, data, train);
        if (r.number("train.pl-weight", 0.0, 1e6) != 0) {
            r.problem("train.pl-weight", "0: path length regularisation (StyleGAN2's, second order through G) is"
                    + " not built; StyleGAN2-ADA's CIFAR-10 configuration trains without it");
        }
        if (!train.gradientPenalties().isEmpty() && model.discriminatorNorm() == Normalisation.BATCH) {
            r.problem("model.d-norm", "\"layer\" or \"none\" with " + (train.loss() == GanLoss.WGAN_GP
                    ? "train.loss = wgan-gp" : "train.r1-gamma > 0") + " (a gradient penalty needs each image's"
                    + " own input gradient, and batch norm makes D's output for an image depend on its whole batch)");
        }
        String outputDir = r.nonEmpty("output.dir", "a directory URI for run directories");
        String runId = r.string("run.id");
        if (!runId.matches("[A-Za-z0-9._-]{1,200}")) {
            r.problem("run.id", "letters, digits, '.', '_' and '-' only (it names a directory)");
        }
        FidConfig fid = fid(r);
        Duration leaseTimeout = Duration.ofSeconds(r.longValue("run.lease-timeout-seconds", 1, 86_400));
        if (!r.problems().isEmpty()) {
            throw new ConfigException(r.problems());
        }
        return new SparkganConfig(spark, data, model, train, outputDir, runId, fid, leaseTimeout,
                SparkganConfig.render(c));
    }

    /** What holds translation apart from generation: pairs, instance norm and the L1 term are pix2pix's. */
    private static void translation(KeyReader r, ModelConfig model, DataConfig data, TrainConfig train) {
        boolean translates = model.family().translates();
        if (translates && !data.paired()) {
            r.problem("data.layout", "\"aligned\" with model.architecture = " + model.family().key() + ", which maps"
                    + " an input image to its target: a dataset of pairs (pix2pix's train/ folder of A|B files, or"
                    + " data-manifests/fashion-mnist-edges.conf)");
        }
        if (!translates) {
            for (String key : new String[] {"model.g-norm", "model.d-norm"}) {
                Normalisation norm = key.equals("model.g-norm") ? model.generatorNorm() : model.discriminatorNorm();
                if (norm == Normalisation.INSTANCE) {
                    r.problem(key, "batch, layer or none for model.architecture = " + model.family().key()
                            + " (instance norm is pix2pix's)");
                }
            }
            if (train.l1Weight() != TRANSLATION_L1_WEIGHT) {
                r.problem("train.l1-weight", TRANSLATION_L1_WEIGHT + " (left out): the L1 term is a translation's,"
                        + " and model.architecture = " + model.family().key() + " generates from noise");
            }
        }
    }

    private static SparkSettings spark(KeyReader r, boolean masterExplicit) {
        SparkSettings spark = new SparkSettings(
                r.string("spark.master"), masterExplicit,
                r.nonEmpty("spark.app-name", "a non-empty application name"),
                r.stringMap("spark.conf"));
        return spark;
    }

    private static DataConfig data(KeyReader r) {
        DataConfig data = new DataConfig(
                r.nonEmpty("data.source", "a dataset manifest, CSV manifest, image folder or idx folder"),
                r.string("data.shards"), // empty: ConfigLoader names the default folder
                r.integer("data.image-size", 8, 1024),
                r.integer("data.channels", 1, 3),
                r.nonEmpty("data.split", "a split name such as train or test"),
                r.longValue("data.limit", 0, BIG),
                r.bytes("data.shard-size", 1024, 1L << 30),
                r.integer("data.prepare-tasks", 0, 1_000_000),
                r.number("data.max-reject-fraction", 0.0, 1.0),
                r.longValue("data.max-pixels", 1, BIG),
                r.bool("data.convert-channels"),
                switch (r.oneOf("data.cache", "auto", "memory", "stream")) {
                    case "memory" -> DataConfig.Cache.MEMORY;
                    case "stream" -> DataConfig.Cache.STREAM;
                    default -> DataConfig.Cache.AUTO;
                },
                r.integer("data.lanes", 1, 4096),
                r.bytes("data.shuffle-window", 1, 1L << 30),
                switch (r.oneOf("data.layout", "images", "aligned", "unpaired")) {
                    case "aligned" -> DataConfig.Layout.ALIGNED;
                    case "unpaired" -> {
                        r.problem("data.layout", "images or aligned (unpaired, CycleGAN's two folders, is not built yet)");
                        yield DataConfig.Layout.IMAGES;
                    }
                    default -> DataConfig.Layout.IMAGES;
                },
                r.oneOf("data.direction", "AtoB", "BtoA").equals("BtoA")
                        ? DataConfig.Direction.B_TO_A : DataConfig.Direction.A_TO_B);
        if (data.channels() == 2) {
            r.problem("data.channels", "1 (grey) or 3 (RGB)");
        }
        return data;
    }

    private static ModelConfig model(KeyReader r) {
        ModelConfig model = new ModelConfig(
                family(r),
                r.integer("model.latent-dim", 1, 100_000),
                r.integer("model.g-features", 1, 4096),
                r.integer("model.d-features", 1, 4096),
                normalisation(r, "model.g-norm", "batch", "instance", "none"),
                normalisation(r, "model.d-norm", "batch", "layer", "instance", "none"),
                r.bool("model.spectral-norm"),
                r.bool("model.conditional"),
                new GanArchitecture.Style(r.integer("model.mapping-layers", 1, 64),
                        r.integer("model.mbstd-group", 1, 1_000_000), r.number("model.style-mixing", 0.0, 1.0)));
        return model;
    }

    /** train.augment: a comma-separated list of colour (or color), translation, cutout; empty for none. */
    private static Augmentation.Policy augmentation(KeyReader r) {
        String value = r.string("train.augment");
        boolean colour = false;
        boolean translation = false;
        boolean cutout = false;
        for (String part : value.split(",")) {
            switch (part.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "" -> { }
                case "colour", "color" -> colour = true;
                case "translation" -> translation = true;
                case "cutout" -> cutout = true;
                default -> r.problem("train.augment", "a comma-separated list of colour, translation and cutout"
                        + " (e.g. \"colour,translation,cutout\"), or \"\" for none");
            }
        }
        return new Augmentation.Policy(colour, translation, cutout);
    }

    private static GanArchitecture.Family family(KeyReader r) {
        String[] keys = java.util.Arrays.stream(GanArchitecture.Family.values()).map(GanArchitecture.Family::key)
                .toArray(String[]::new);
        return GanArchitecture.Family.valueOf(r.oneOf("model.architecture", keys).toUpperCase(java.util.Locale.ROOT));
    }

    private static Normalisation normalisation(KeyReader r, String key, String... allowed) {
        return Normalisation.valueOf(r.oneOf(key, allowed).toUpperCase(java.util.Locale.ROOT));
    }

    private static TrainConfig train(KeyReader r) {
        TrainConfig.StepOrder order = switch (r.oneOf("train.order", "alternating", "simultaneous")) {
            case "simultaneous" -> TrainConfig.StepOrder.SIMULTANEOUS;
            default -> TrainConfig.StepOrder.ALTERNATING;
        };
        GanLoss loss = switch (r.oneOf("train.loss", "non-saturating", "wgan", "wgan-gp", "hinge", "least-squares")) {
            case "wgan" -> GanLoss.WGAN;
            case "wgan-gp" -> GanLoss.WGAN_GP;
            case "hinge" -> GanLoss.HINGE;
            case "least-squares" -> GanLoss.LEAST_SQUARES;
            default -> GanLoss.NON_SATURATING;
        };
        TrainConfig train = new TrainConfig(
                r.longValue("train.steps", 1, BIG),
                r.integer("train.batch-per-worker", 1, 1_000_000),
                r.integer("train.workers", 1, 100_000),
                r.longValue("train.seed", Long.MIN_VALUE, BIG),
                order, loss,
                r.integer("train.d-steps-per-g-step", 1, 1000),
                r.number("train.g-learning-rate", Double.MIN_VALUE, 10.0),
                r.number("train.d-learning-rate", Double.MIN_VALUE, 10.0),
                r.number("train.adam-beta1", 0.0, 0.999999),
                r.number("train.adam-beta2", 0.0, 0.999999999),
                r.number("train.adam-epsilon", Double.MIN_VALUE, 1.0),
                r.number("train.label-smoothing", 0.0, 0.5),
                r.number("train.d-skip-below", 0.0, 1e9),
                r.number("train.wgan-clip", Double.MIN_VALUE, 1e6),
                r.number("train.gp-weight", Double.MIN_VALUE, 1e6),
                r.number("train.r1-gamma", 0.0, 1e6),
                r.integer("train.r1-every", 1, 1_000_000),
                augmentation(r),
                r.number("train.ema-half-life", 0.0, 1e12),
                r.number("train.ema-rampup", 0.0, 1.0),
                r.bool("train.shuffle"),
                r.longValue("train.log-every", 1, BIG),
                r.longValue("train.checkpoint-every", 1, BIG),
                r.longValue("train.sample-every", 1, BIG),
                r.integer("train.sample-count", 1, 4096),
                r.integer("train.executor-threads", 0, 1024),
                "skip".equals(r.oneOf("train.on-non-finite", "stop", "skip"))
                        ? TrainConfig.NonFinitePolicy.SKIP : TrainConfig.NonFinitePolicy.STOP,
                r.integer("train.non-finite-skip-limit", 1, 1_000_000),
                r.integer("train.keep-checkpoints", 0, 1_000_000),
                "bf16".equals(r.oneOf("train.gradient-transfer", "fp32", "bf16"))
                        ? TrainConfig.GradientTransfer.BF16 : TrainConfig.GradientTransfer.FP32,
                switch (r.oneOf("train.sync", "auto", "driver", "collective")) {
                    case "driver" -> TrainConfig.Sync.DRIVER;
                    case "collective" -> TrainConfig.Sync.COLLECTIVE;
                    default -> TrainConfig.Sync.AUTO;
                },
                r.integer("train.steps-per-job", 1, 1_000_000),
                r.longValue("train.executor-wait-seconds", 0, 86_400),
                r.number("train.l1-weight", 0.0, 1e6));
        int side = (int) Math.round(Math.sqrt(train.sampleCount()));
        if (side * side != train.sampleCount()) {
            r.problem("train.sample-count", "a square number such as 16, 36 or 64");
        }
        if (train.loss() != GanLoss.NON_SATURATING && train.labelSmoothing() > 0) {
            r.problem("train.label-smoothing", "0 with train.loss = " + r.string("train.loss")
                    + " (smoothing applies to the non-saturating loss's targets only)");
        }
        if (!train.loss().hasFloor() && train.dSkipBelow() > 0) {
            r.problem("train.d-skip-below", "0 with train.loss = " + r.string("train.loss")
                    + " (a Wasserstein critic's loss has no floor: no"
                    + " threshold on it says that the critic is winning)");
        }
        return train;
    }

    private static FidConfig fid(KeyReader r) {
        FidConfig fid = new FidConfig(
                r.bool("fid.enabled"),
                r.oneOf("fid.extractor", "evaluator", "inception"),
                r.integer("fid.samples", 2, 10_000_000),
                r.integer("fid.batch", 1, 100_000),
                r.integer("fid.partitions", 0, 100_000),
                r.string("fid.inception-weights"),
                r.integer("fid.evaluator-epochs", 1, 1000),
                r.longValue("fid.evaluator-images", 0, Long.MAX_VALUE),
                r.integer("fid.kid-subsets", 1, 100_000),
                r.integer("fid.kid-subset-size", 2, 1_000_000),
                r.bool("fid.score-raw"));
        return fid;
    }
}

package io.sparkgan.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds a {@link SparkganConfig} from reference.conf, an optional --config file and --set overrides,
 * in that order of precedence (later wins). Everything is checked here, before Spark starts.
 */
public final class ConfigLoader {
    /** Sections whose keys we own; a key outside them in a user file is reported as unknown. */
    private static final Set<String> SECTIONS = Set.of("spark", "data", "model", "train", "output", "run", "fid");
    private static final String FREE_FORM = "spark.conf";

    private ConfigLoader() {
    }

    /** Loads with an optional config file on the local filesystem. */
    public static SparkganConfig load(Path configFile, List<String> sets) {
        Config file = ConfigFactory.empty();
        if (configFile != null) {
            if (!Files.isRegularFile(configFile)) {
                throw new ConfigException("--config " + configFile + ": no such file");
            }
            try (Reader reader = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
                file = parse(reader, configFile.toString());
            } catch (IOException e) {
                throw new ConfigException("--config " + configFile + ": cannot read it (" + e.getMessage() + ")");
            }
        }
        return load(file, sets);
    }

    /** Loads with an already parsed user config (from any filesystem). */
    public static SparkganConfig load(Config userFile, List<String> sets) {
        Config reference = reference();
        List<String> problems = new ArrayList<>();
        Config overrides = ConfigFactory.empty();
        for (String set : sets) {
            Config one = parseSet(set, problems);
            overrides = one.withFallback(overrides);
        }
        Config user = overrides.withFallback(userFile);
        reportUnknownKeys(user, reference, problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        Config resolved;
        try {
            resolved = user.withFallback(reference).resolve();
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException(e.getMessage());
        }
        String runId = resolved.getString("run.id");
        if (runId.isBlank()) {
            runId = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
            resolved = resolved.withValue("run.id", ConfigValueFactory.fromAnyRef(runId, "generated run id"));
        }
        return typed(resolved, user.hasPath("spark.master"));
    }

    /**
     * The {@code spark.conf} settings that a user config and --set overrides give, without loading or
     * checking the rest: what a command needs before its full configuration can be read, e.g. the
     * Hadoop settings ({@code spark.hadoop.*}) to read a run's run.conf or a --config file on S3.
     */
    public static Map<String, String> sparkConf(Config userFile, List<String> sets) {
        List<String> problems = new ArrayList<>();
        Config user = userFile;
        for (String set : sets) {
            user = parseSet(set, problems).withFallback(user);
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        if (!user.hasPath(FREE_FORM)) {
            return Map.of();
        }
        KeyReader reader = new KeyReader(user);
        Map<String, String> conf = reader.stringMap(FREE_FORM);
        if (!reader.problems().isEmpty()) {
            throw new ConfigException(reader.problems());
        }
        return conf;
    }

    /** Parses HOCON text (a config file read from any filesystem). */
    public static Config parse(Reader reader, String originDescription) {
        try {
            return ConfigFactory.parseReader(reader,
                    ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setOriginDescription(originDescription));
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException(originDescription + " is not valid HOCON: " + e.getMessage());
        }
    }

    private static Config reference() {
        // Our own reference.conf only: other libraries' reference.conf files on the classpath do not
        // decide which keys a sparkgan config may hold.
        URL url = ConfigLoader.class.getResource("/reference.conf");
        try (InputStream in = url.openStream();
             Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            Config all = ConfigFactory.parseReader(reader, ConfigParseOptions.defaults().setOriginDescription("reference.conf"));
            Config ours = ConfigFactory.empty();
            for (String section : SECTIONS) {
                if (all.hasPath(section)) {
                    ours = ours.withFallback(all.withOnlyPath(section));
                }
            }
            return ours;
        } catch (IOException e) {
            throw new IllegalStateException("reference.conf is missing from the classpath", e);
        }
    }

    private static Config parseSet(String set, List<String> problems) {
        int eq = set.indexOf('=');
        if (eq <= 0) {
            problems.add("--set " + set + ": expected key=value, e.g. --set train.steps=1000");
            return ConfigFactory.empty();
        }
        String key = set.substring(0, eq).trim();
        String value = set.substring(eq + 1);
        String origin = "--set " + set;
        try {
            ConfigUtil.splitPath(key);
        } catch (com.typesafe.config.ConfigException e) {
            problems.add(origin + ": '" + key + "' is not a valid key path");
            return ConfigFactory.empty();
        }
        ConfigValue parsed;
        try {
            // Let numbers, booleans, lists and objects through as such ...
            parsed = ConfigFactory.parseString("v = " + value, ConfigParseOptions.defaults().setOriginDescription(origin))
                    .getValue("v");
            if (parsed.valueType() == com.typesafe.config.ConfigValueType.STRING) {
                parsed = ConfigValueFactory.fromAnyRef(value, origin);
            }
        } catch (com.typesafe.config.ConfigException e) {
            // ... and anything HOCON cannot parse unquoted (local[4], s3a://b/x) as the literal string.
            parsed = ConfigValueFactory.fromAnyRef(value, origin);
        }
        return ConfigFactory.empty().withValue(key, parsed);
    }

    private static void reportUnknownKeys(Config user, Config reference, List<String> problems) {
        for (Map.Entry<String, ConfigValue> entry : new java.util.TreeMap<>(toMap(user)).entrySet()) {
            String key = entry.getKey();
            if (key.startsWith(FREE_FORM + ".") || reference.hasPathOrNull(key)) {
                continue;
            }
            StringBuilder message = new StringBuilder("unknown key ").append(key)
                    .append(" (").append(KeyReader.origin(entry.getValue())).append(")");
            String near = nearest(key, reference);
            if (near != null) {
                message.append(": did you mean ").append(near).append("?");
            } else {
                message.append(": see reference.conf for the keys that exist");
            }
            problems.add(message.toString());
        }
    }

    private static Map<String, ConfigValue> toMap(Config config) {
        Map<String, ConfigValue> map = new java.util.HashMap<>();
        for (var e : config.entrySet()) {
            map.put(e.getKey(), e.getValue());
        }
        return map;
    }

    private static String nearest(String key, Config reference) {
        TreeSet<String> keys = new TreeSet<>();
        reference.entrySet().forEach(e -> keys.add(e.getKey()));
        return keys.stream()
                .filter(k -> editDistance(k, key) <= Math.max(2, key.length() / 5))
                .min(Comparator.comparingInt(k -> editDistance(k, key)))
                .orElse(null);
    }

    static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }

    private static SparkganConfig typed(Config c, boolean masterExplicit) {
        KeyReader r = new KeyReader(c);
        long big = Long.MAX_VALUE;

        SparkSettings spark = new SparkSettings(
                r.string("spark.master"), masterExplicit,
                r.nonEmpty("spark.app-name", "a non-empty application name"),
                r.stringMap("spark.conf"));

        DataConfig data = new DataConfig(
                r.nonEmpty("data.source", "a dataset manifest, CSV manifest, image folder or idx folder"),
                r.nonEmpty("data.shards", "a directory URI for prepared shards"),
                r.integer("data.image-size", 8, 1024),
                r.integer("data.channels", 1, 3),
                r.nonEmpty("data.split", "a split name such as train or test"),
                r.longValue("data.limit", 0, big),
                r.integer("data.images-per-shard", 1, 10_000_000),
                r.number("data.max-reject-fraction", 0.0, 1.0),
                r.longValue("data.max-pixels", 1, big),
                r.bool("data.convert-channels"));
        if (data.channels() == 2) {
            r.problem("data.channels", "1 (grey) or 3 (RGB)");
        }
        if (GanArchitecture.stagesFor(data.imageSize()) < 1) {
            r.problem("data.image-size", "a size that halves down to a 3..7 pixel grid, e.g. 28, 32, 48, 64, 128");
        }

        ModelConfig model = new ModelConfig(
                r.integer("model.latent-dim", 1, 100_000),
                r.integer("model.g-features", 1, 4096),
                r.integer("model.d-features", 1, 4096),
                r.bool("model.batch-norm"));

        TrainConfig.StepOrder order = switch (r.oneOf("train.order", "alternating", "simultaneous")) {
            case "simultaneous" -> TrainConfig.StepOrder.SIMULTANEOUS;
            default -> TrainConfig.StepOrder.ALTERNATING;
        };
        GanLoss loss = switch (r.oneOf("train.loss", "non-saturating", "wgan")) {
            case "wgan" -> GanLoss.WGAN;
            default -> GanLoss.NON_SATURATING;
        };
        TrainConfig train = new TrainConfig(
                r.longValue("train.steps", 1, big),
                r.integer("train.batch-per-worker", 1, 1_000_000),
                r.integer("train.workers", 1, 100_000),
                r.longValue("train.seed", Long.MIN_VALUE, big),
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
                r.number("train.ema-decay", 0.0, 0.999999999),
                r.bool("train.shuffle"),
                r.longValue("train.log-every", 1, big),
                r.longValue("train.checkpoint-every", 1, big),
                r.longValue("train.sample-every", 1, big),
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
                r.integer("train.steps-per-job", 1, 1_000_000));
        int side = (int) Math.round(Math.sqrt(train.sampleCount()));
        if (side * side != train.sampleCount()) {
            r.problem("train.sample-count", "a square number such as 16, 36 or 64");
        }
        if (train.loss() == GanLoss.WGAN && train.labelSmoothing() > 0) {
            r.problem("train.label-smoothing", "0 with train.loss = wgan (smoothing applies to the classic GAN only)");
        }

        String outputDir = r.nonEmpty("output.dir", "a directory URI for run directories");
        String runId = r.string("run.id");
        if (!runId.matches("[A-Za-z0-9._-]{1,200}")) {
            r.problem("run.id", "letters, digits, '.', '_' and '-' only (it names a directory)");
        }
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
                r.integer("fid.kid-subset-size", 2, 1_000_000));

        if (!r.problems().isEmpty()) {
            throw new ConfigException(r.problems());
        }
        return new SparkganConfig(spark, data, model, train, outputDir, runId, fid, SparkganConfig.render(c));
    }
}

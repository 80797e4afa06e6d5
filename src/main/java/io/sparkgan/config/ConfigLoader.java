package io.sparkgan.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
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
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
        Config referenceFile = referenceFile();
        Config reference = ours(referenceFile);
        List<String> problems = new ArrayList<>();
        Config overrides = ConfigFactory.empty();
        for (String set : sets) {
            Config one = parseSet(set, problems);
            overrides = one.withFallback(overrides);
        }
        Config user = overrides.withFallback(userFile);
        reportUnknownKeys(user, reference, problems);
        Config architectureDefaults = ArchitectureDefaults.of(referenceFile, user, problems);
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        Config resolved;
        try {
            resolved = user.withFallback(architectureDefaults).withFallback(reference).resolve();
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException(e.getMessage());
        }
        String runId = resolved.getString("run.id");
        if (runId.isBlank()) {
            runId = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT));
            resolved = resolved.withValue("run.id", ConfigValueFactory.fromAnyRef(runId, "generated run id"));
        }
        SparkganConfig typed = TypedSections.typed(resolved, user.hasPath("spark.master"));
        if (!typed.data().shards().isBlank()) {
            return typed;
        }
        String root = resolved.getValue("data.shards-root").unwrapped().toString();
        if (root.isBlank()) {
            throw new ConfigException("data.shards-root: expected a directory URI under which data.shards folders"
                    + " are made when data.shards is not set, got an empty string");
        }
        resolved = resolved.withValue("data.shards", ConfigValueFactory.fromAnyRef(typed.data().defaultShards(root),
                "data.shards-root and the settings that change the shards' bytes"));
        return TypedSections.typed(resolved, user.hasPath("spark.master"));
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

    /**
     * Our own reference.conf only: other libraries' reference.conf files on the classpath do not decide
     * which keys a sparkgan config may hold.
     */
    private static Config referenceFile() {
        URL url = ConfigLoader.class.getResource("/reference.conf");
        try (InputStream in = url.openStream();
             Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            return ConfigFactory.parseReader(reader, ConfigParseOptions.defaults().setOriginDescription("reference.conf"));
        } catch (IOException e) {
            throw new IllegalStateException("reference.conf is missing from the classpath", e);
        }
    }

    /** The sections a user's config may set (not the architectures' defaults). */
    private static Config ours(Config referenceFile) {
        Config ours = ConfigFactory.empty();
        for (String section : SECTIONS) {
            if (referenceFile.hasPath(section)) {
                ours = ours.withFallback(referenceFile.withOnlyPath(section));
            }
        }
        return ours;
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
            if (parsed.valueType() == ConfigValueType.STRING) {
                parsed = ConfigValueFactory.fromAnyRef(value, origin);
            }
        } catch (com.typesafe.config.ConfigException e) {
            // ... and anything HOCON cannot parse unquoted (local[4], s3a://b/x) as the literal string.
            parsed = ConfigValueFactory.fromAnyRef(value, origin);
        }
        return ConfigFactory.empty().withValue(key, parsed);
    }

    /** Keys that existed once, and what took their place. */
    private static final Map<String, String> REPLACED = Map.of("data.images-per-shard",
            "replaced by data.shard-size, the most bytes a shard holds (e.g. 64M), whatever the image size",
            "train.ema-decay", "replaced by train.ema-half-life, the EMA's half-life in images (0 = no EMA; e.g."
                    + " 10000), and train.ema-rampup",
            "model.batch-norm", "replaced by model.g-norm (batch | none) and model.d-norm (batch | layer | none);"
                    + " batch-norm = true is both \"batch\" (the default), false is both \"none\"");

    private static void reportUnknownKeys(Config user, Config reference, List<String> problems) {
        for (Map.Entry<String, ConfigValue> entry : new TreeMap<>(toMap(user)).entrySet()) {
            String key = entry.getKey();
            if (key.startsWith(FREE_FORM + ".") || reference.hasPathOrNull(key)) {
                continue;
            }
            StringBuilder message = new StringBuilder("unknown key ").append(key)
                    .append(" (").append(KeyReader.origin(entry.getValue())).append(")");
            if (REPLACED.containsKey(key)) {
                problems.add(message.append(": ").append(REPLACED.get(key)).toString());
                continue;
            }
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
        Map<String, ConfigValue> map = new HashMap<>();
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
}

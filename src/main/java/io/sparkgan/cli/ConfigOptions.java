package io.sparkgan.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.sparkgan.config.ConfigException;
import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** --config and --set, shared by every stage. */
final class ConfigOptions {
    @Option(names = "--config", paramLabel = "FILE",
            description = "HOCON config file (local path or Hadoop URI); keys not set here keep their reference.conf defaults.")
    String configFile;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override one key, e.g. --set train.steps=2000 (repeatable; wins over --config).")
    List<String> sets = new ArrayList<>();

    SparkganConfig load() {
        return load(ConfigFactory.empty(), List.of());
    }

    /**
     * Loads with {@code base} under the config file (e.g. a run's run.conf) and {@code forced} keys
     * over everything (e.g. the run directory a command was pointed at).
     */
    SparkganConfig load(Config base, List<String> forced) {
        List<String> all = new ArrayList<>(sets);
        all.addAll(forced);
        return ConfigLoader.load(userFile().withFallback(base), all);
    }

    /**
     * Storage for reads before Spark starts, with the Hadoop settings ({@code spark.conf} keys
     * {@code "spark.hadoop.*"}) that --config and --set give: e.g. the endpoint and credentials to read
     * a run's run.conf on S3, which holds its own credentials only redacted.
     */
    Storage storageBeforeSpark() {
        return SparkContexts.storageBeforeStart(ConfigLoader.sparkConf(userFile(), sets));
    }

    private Config userFile() {
        if (configFile == null) {
            return ConfigFactory.empty();
        }
        String text;
        try {
            if (configFile.contains("://") && !configFile.startsWith("file:")) {
                // A config on S3 or HDFS is read with the Hadoop settings of --set and spark-submit's --conf.
                Storage storage = SparkContexts.storageBeforeStart(ConfigLoader.sparkConf(ConfigFactory.empty(), sets));
                text = storage.readStringUncached(Storage.qualify(configFile));
            } else {
                Path path = Path.of(configFile.startsWith("file:") ? configFile.substring(5) : configFile);
                if (!Files.isRegularFile(path)) {
                    throw new ConfigException("--config " + configFile + ": no such file");
                }
                text = Files.readString(path);
            }
        } catch (IOException e) {
            throw new ConfigException("--config " + configFile + ": cannot read it (" + e.getMessage() + ")");
        }
        return ConfigLoader.parse(new StringReader(text), configFile);
    }
}

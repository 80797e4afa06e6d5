package io.sparkgan.cli;

import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.io.StringReader;
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
        if (configFile == null) {
            return ConfigLoader.load((Path) null, sets);
        }
        if (configFile.contains("://") && !configFile.startsWith("file:")) {
            try {
                String text = Storage.local().readString(Storage.qualify(configFile));
                return ConfigLoader.load(ConfigLoader.parse(new StringReader(text), configFile), sets);
            } catch (IOException e) {
                throw new io.sparkgan.config.ConfigException("--config " + configFile + ": cannot read it (" + e.getMessage() + ")");
            }
        }
        return ConfigLoader.load(Path.of(configFile.startsWith("file:") ? configFile.substring(5) : configFile), sets);
    }
}

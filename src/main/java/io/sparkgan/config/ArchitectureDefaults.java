package io.sparkgan.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Each architecture's own defaults (reference.conf's {@code architectures} section): they stand between
 * the user's settings and the general defaults, so that {@code model.architecture = resnet} alone gives
 * a run SNGAN's loss and optimiser settings. Its {@code fixed} keys are part of the architecture, and a
 * user value other than the architecture's is refused.
 */
final class ArchitectureDefaults {
    static final String SECTION = "architectures";
    private static final String KEY = "model.architecture";

    private ArchitectureDefaults() {
    }

    /**
     * The defaults of the architecture {@code user} asks for (the reference's when it names none), with
     * a problem added for an unknown architecture or a fixed key set to another value.
     */
    static Config of(Config referenceFile, Config user, List<String> problems) {
        Config all = referenceFile.getConfig(SECTION);
        TreeSet<String> known = new TreeSet<>(all.root().keySet());
        ConfigValue chosen = user.hasPath(KEY) ? user.getValue(KEY) : referenceFile.getValue(KEY);
        String name = String.valueOf(chosen.unwrapped());
        if (!known.contains(name)) {
            problems.add(KEY + " = " + chosen.render(ConfigRenderOptions.concise()) + " ("
                    + KeyReader.origin(chosen) + "): expected one of " + String.join(", ", known));
            return ConfigFactory.empty();
        }
        Config architecture = all.getConfig(ConfigUtil.joinPath(name));
        Config defaults = architecture.withoutPath("fixed");
        for (String key : architecture.getStringList("fixed")) {
            if (user.hasPath(key) && !Objects.equals(user.getValue(key).unwrapped(), defaults.getValue(key).unwrapped())) {
                problems.add(key + " = " + user.getValue(key).render(ConfigRenderOptions.concise()) + " ("
                        + KeyReader.origin(user.getValue(key)) + ") does not apply to " + KEY + " = " + name
                        + ", which is built with " + key + " = "
                        + defaults.getValue(key).render(ConfigRenderOptions.concise()) + ": leave the key out");
            }
        }
        return defaults;
    }
}

package io.sparkgan.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import io.sparkgan.model.GanArchitecture;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The whole configuration of a job, typed once at the edge by {@link ConfigLoader}; nothing deeper
 * reads raw keys.
 */
public record SparkganConfig(SparkSettings spark, DataConfig data, ModelConfig model, TrainConfig train,
                             String outputDir, String runId, FidConfig fid, Duration leaseTimeout, String rendered)
        implements Serializable {

    /** Key fragments whose values never leave the process in clear (run.conf, provenance, logs). */
    static final List<String> SECRET_MARKERS =
            List.of("secret", "password", "token", "access.key", "access-key", "credential");

    public GanArchitecture architecture() {
        return model.architecture(data);
    }

    /** The resolved configuration as HOCON, secrets redacted: the content of run.conf. */
    public String renderedForRunDirectory() {
        return rendered;
    }

    static boolean isSecretKey(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        for (String marker : SECRET_MARKERS) {
            if (lower.contains(marker)) {
                return true;
            }
        }
        return false;
    }

    /** Renders our sections of {@code resolved}, with secret values replaced. */
    static String render(Config resolved) {
        Config ours = resolved.withOnlyPath("spark").withFallback(resolved.withOnlyPath("data"))
                .withFallback(resolved.withOnlyPath("model")).withFallback(resolved.withOnlyPath("train"))
                .withFallback(resolved.withOnlyPath("output")).withFallback(resolved.withOnlyPath("run"))
                .withFallback(resolved.withOnlyPath("fid"));
        Config redacted = ours;
        for (var entry : ours.entrySet()) {
            if (isSecretKey(entry.getKey())) {
                redacted = redacted.withValue(entry.getKey(), ConfigValueFactory.fromAnyRef("<redacted>"));
            }
        }
        // spark.conf keys are quoted single keys ("spark.hadoop.fs.s3a.secret.key"): check them too.
        if (redacted.hasPath("spark.conf")) {
            for (String name : redacted.getObject("spark.conf").keySet()) {
                if (isSecretKey(name)) {
                    redacted = redacted.withValue("spark.conf.\"" + name + "\"",
                            ConfigValueFactory.fromAnyRef("<redacted>"));
                }
            }
        }
        return redacted.root().render(ConfigRenderOptions.defaults().setOriginComments(false).setJson(false));
    }
}

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

    /** The networks of an unconditional GAN; a conditional one needs its dataset's classes ({@link #architecture(int)}). */
    public GanArchitecture architecture() {
        if (model.conditional()) {
            throw new IllegalStateException("model.conditional = true: the networks depend on the dataset's classes");
        }
        return model.architecture(data, 0);
    }

    /**
     * The networks for a dataset of {@code datasetClasses} classes: conditioned on them with
     * model.conditional = true, which needs at least two.
     */
    public GanArchitecture architecture(int datasetClasses) {
        if (model.conditional() && datasetClasses < 2) {
            throw new ConfigException(List.of("model.conditional = true needs a labelled dataset of at least 2"
                    + " classes, and " + data.shards() + " has " + (datasetClasses == 0 ? "no labels" : "one class")
                    + " (an image folder is labelled by its subfolders, a CSV manifest by its label column);"
                    + " set model.conditional = false"));
        }
        return model.architecture(data, model.conditional() ? datasetClasses : 0);
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

package io.sparkgan.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.config.TrainConfig;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.Hashes;
import io.sparkgan.io.BuildInfo;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Where a run came from: {@code provenance.json} in the run directory (versions, cluster, seed,
 * config and dataset hashes), and the part of it that every checkpoint repeats.
 */
final class RunProvenance {
    private RunProvenance() {
    }

    /** What each checkpoint of this run records about its origin. */
    static Checkpoint.Provenance forCheckpoints(SparkganConfig config, DatasetInfo info, int executorThreads) {
        return new Checkpoint.Provenance(config.runId(), config.train().seed(), configSha256(config),
                info == null ? "" : info.contentSha256(), BuildInfo.version(), executorThreads,
                normalisation(config), direction(config), List.of());
    }

    /**
     * The model settings that change what the parameters mean without changing their number
     * (D's batch and layer norm have the same scales and offsets), so a resume must check them.
     */
    static String normalisation(SparkganConfig config) {
        return "g-norm=" + config.model().generatorNorm().key() + " d-norm=" + config.model().discriminatorNorm().key()
                + " spectral-norm=" + config.model().spectralNorm();
    }

    /** A translation's data.direction; empty for a GAN from noise, which has none. */
    static String direction(SparkganConfig config) {
        return config.model().family().translates() ? config.data().direction().key() : "";
    }

    /** provenance.json of a new run; {@code sync} is the mode train.sync = auto chose. */
    static String json(SparkganConfig config, JavaSparkContext sc, DatasetInfo info, TrainConfig.Sync sync,
                       int executorThreads, List<Map<String, Object>> jvms) {
        ObjectNode p = Json.object();
        p.put("run_id", config.runId());
        p.put("started_at", Instant.now().toString());
        p.put("sparkgan_version", BuildInfo.version());
        p.put("spark_version", sc.version());
        p.put("dl4j_version", BuildInfo.get("dl4j.version"));
        p.put("nd4j_backend", Nd4j.getBackend().getClass().getSimpleName());
        p.put("java_version", System.getProperty("java.version"));
        p.put("spark_master", sc.master());
        p.put("sync", sync.name().toLowerCase(Locale.ROOT));
        p.put("seed", config.train().seed());
        p.put("executor_threads", executorThreads); // native threads per task: part of what fixes the bits
        p.put("user", System.getProperty("user.name"));
        p.put("driver_host", hostName());
        p.put("config_sha256", configSha256(config));
        if (info != null) {
            ObjectNode d = p.putObject("dataset");
            d.put("name", info.name());
            d.put("source", info.source());
            d.put("shards", Storage.qualify(config.data().shards()).toString());
            d.put("count", info.count());
            d.put("content_sha256", info.contentSha256());
            d.put("source_fingerprint", info.fingerprint());
        }
        // the CPU, OpenBLAS core and self-check of each JVM known at the start (runtime.JvmPlatforms)
        p.set("jvms", Json.mapper().valueToTree(jvms));
        return Json.pretty(p);
    }

    private static String configSha256(SparkganConfig config) {
        return Hashes.sha256Hex(config.renderedForRunDirectory().getBytes(StandardCharsets.UTF_8));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}

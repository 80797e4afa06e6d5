package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.typesafe.config.ConfigFactory;
import io.sparkgan.TestSpark;
import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.SparkSettings;
import io.sparkgan.io.Storage;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/**
 * Hadoop settings given as spark.conf { "spark.hadoop.<key>" = ... } reach the filesystem everywhere it
 * is used: the driver's storage, the executors' (Storage travels inside their tasks), and the storage a
 * command reads with before its Spark context exists.
 */
class HadoopSettingsTest {
    static final Map<String, String> CONF = Map.of("spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:9",
            "spark.hadoop.fs.s3a.path.style.access", "true", "spark.ui.enabled", "false");

    @Test
    void sparkHadoopSettingsReachTheDriverAndTheExecutors() {
        TestSpark.stop();
        try (JavaSparkContext sc = SparkContexts.start(new SparkSettings("local[2]", true, "settings", CONF), "test")) {
            Storage storage = new Storage(sc.hadoopConfiguration());
            assertEquals("http://127.0.0.1:9", storage.conf().get("fs.s3a.endpoint"));
            List<String> onExecutors = sc.parallelize(List.of(1, 2), 2)
                    .map(i -> storage.conf().get("fs.s3a.endpoint") + " " + storage.conf().get("fs.s3a.path.style.access"))
                    .collect();
            assertEquals(List.of("http://127.0.0.1:9 true", "http://127.0.0.1:9 true"), onExecutors);
        }
    }

    @Test
    void storageBeforeSparkStartsHasTheContextsHadoopSettings() {
        Storage before = SparkContexts.storageBeforeStart(CONF);
        assertEquals("http://127.0.0.1:9", before.conf().get("fs.s3a.endpoint"));
        assertEquals("true", before.conf().get("fs.s3a.path.style.access"));
        assertNull(before.conf().get("ui.enabled"), "only spark.hadoop.* keys become Hadoop settings");
    }

    @Test
    void sparkConfComesFromTheConfigFileAndSetsAlone() {
        var file = ConfigFactory.parseString("spark.conf { \"spark.hadoop.fs.s3a.endpoint\" = \"http://file\","
                + " \"spark.hadoop.fs.s3a.access.key\" = \"from-file\" }\ntrain.steps = 10");
        Map<String, String> conf = ConfigLoader.sparkConf(file, List.of(
                "spark.conf.\"spark.hadoop.fs.s3a.endpoint\"=http://set", "fid.samples=5"));
        assertEquals(Map.of("spark.hadoop.fs.s3a.endpoint", "http://set", "spark.hadoop.fs.s3a.access.key", "from-file"),
                conf);
        assertEquals(Map.of(), ConfigLoader.sparkConf(ConfigFactory.empty(), List.of("train.steps=3")));
    }
}

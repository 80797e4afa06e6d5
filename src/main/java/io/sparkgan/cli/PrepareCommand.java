package io.sparkgan.cli;

import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.Preparer;
import io.sparkgan.io.Storage;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "prepare", mixinStandardHelpOptions = true,
        description = "Decode, check, resize and shard data.source into data.shards (reused when unchanged).")
final class PrepareCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SparkganConfig config = options.load();
        // The driver lists the source and commits; the executors decode and write the shards.
        try (JavaSparkContext sc = SparkContexts.start(config.spark(), "prepare")) {
            DatasetInfo info = Preparer.prepare(sc, config.data(), new Storage(sc.hadoopConfiguration()), config.leaseTimeout());
            spec.commandLine().getOut().print(info.toJson());
        }
        return 0;
    }
}

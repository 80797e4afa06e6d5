package io.sparkgan.cli;

import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.PreparedDataset;
import io.sparkgan.data.Preparer;
import io.sparkgan.io.Storage;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "prepare", mixinStandardHelpOptions = true,
        description = {"Decode, check, resize and shard data.source into data.shards.",
                "A dataset already there is reused when it was prepared from the same source with the same settings,"
                        + " and refused otherwise: prepared datasets are never changed."})
final class PrepareCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--replace", description = {"Replace the dataset in data.shards by one prepared from this source"
            + " with these settings: written beside it as the next generation, which becomes current once complete.",
            "Jobs reading the old generation finish on it; it is removed when no job reads it any more."})
    boolean replace;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SparkganConfig config = options.load();
        // The driver lists the source and commits; the executors decode and write the shards.
        try (JavaSparkContext sc = SparkContexts.start(config.spark(), "prepare")) {
            PreparedDataset dataset = Preparer.prepare(sc, config.data(), new Storage(sc.hadoopConfiguration()),
                    config.leaseTimeout(), replace);
            spec.commandLine().getErr().println("sparkgan: the dataset is " + dataset.dir()
                    + (dataset.generation() > 0 ? " (generation " + dataset.generation() + " of " + dataset.root() + ")"
                    : ""));
            spec.commandLine().getOut().print(dataset.info().toJson());
        }
        return 0;
    }
}

package io.sparkgan.cli;

import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.HeldDataset;
import io.sparkgan.data.Preparer;
import io.sparkgan.eval.EvaluatorTrainer;
import io.sparkgan.eval.FidStage;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "evaluator", mixinStandardHelpOptions = true,
        description = {"Train the FID evaluator classifier for data.source on Spark (DL4J parameter averaging) and",
                "keep it in fid/ beside the dataset's shards; fid reuses it. Prints its location and held-out accuracy."})
final class EvaluatorCommand implements Callable<Integer> {
    @Option(names = "--force", description = "Train a new one even when one is cached for this dataset.")
    boolean force;

    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SparkganConfig config = options.load();
        try (JavaSparkContext sc = SparkContexts.start(config.spark(), "evaluator")) {
            Storage storage = new Storage(sc.hadoopConfiguration());
            EvaluatorTrainer.Stored stored;
            try (HeldDataset data = Preparer.prepareAndHold(sc, config.data(), storage, config.leaseTimeout(),
                    "evaluator")) {
                EvaluatorTrainer.Settings settings = FidStage.evaluatorSettings(sc, config);
                String dir = data.dataset().dir();
                stored = force ? EvaluatorTrainer.train(sc, storage, dir, data.info(), settings)
                        : EvaluatorTrainer.findOrTrain(sc, storage, dir, data.info(), settings);
            }
            var json = Json.object();
            json.put("uri", stored.uri());
            json.put("sha256", stored.sha256());
            json.put("test_accuracy", stored.testAccuracy());
            spec.commandLine().getOut().println(Json.pretty(json));
        }
        return 0;
    }
}

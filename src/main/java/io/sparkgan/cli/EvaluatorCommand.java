package io.sparkgan.cli;

import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.DatasetInfo;
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
                "keep it in <data.shards>/fid/; fid reuses it. Prints its location and held-out accuracy."})
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
            DatasetInfo info = Preparer.prepare(sc, config.data(), storage, config.leaseTimeout());
            EvaluatorTrainer.Settings settings = FidStage.evaluatorSettings(sc, config);
            EvaluatorTrainer.Stored stored = force
                    ? EvaluatorTrainer.train(sc, storage, config.data().shards(), info, settings)
                    : EvaluatorTrainer.findOrTrain(sc, storage, config.data().shards(), info, settings);
            var json = Json.object();
            json.put("uri", stored.uri());
            json.put("sha256", stored.sha256());
            json.put("test_accuracy", stored.testAccuracy());
            spec.commandLine().getOut().println(Json.pretty(json));
        }
        return 0;
    }
}

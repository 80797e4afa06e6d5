package io.sparkgan.cli;

import io.sparkgan.config.SparkganConfig;
import io.sparkgan.io.Storage;
import io.sparkgan.train.TrainingJob;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Prepare data.source if needed, then train a GAN on Spark into <output.dir>/<run.id>/.")
final class TrainCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SparkganConfig config = options.load();
        try (JavaSparkContext sc = SparkContexts.start(config.spark(), "train " + config.runId())) {
            TrainingJob.Result result = TrainingJob.run(config, sc, new Storage(sc.hadoopConfiguration()));
            spec.commandLine().getOut().println(result.run().root());
        }
        return 0;
    }
}

package io.sparkgan.cli;

import io.sparkgan.config.SparkganConfig;
import io.sparkgan.eval.EvaluationException;
import io.sparkgan.eval.FidStage;
import io.sparkgan.io.Storage;
import io.sparkgan.train.TrainingJob;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Prepare data.source if needed, train a GAN on Spark into <output.dir>/<run.id>/, then score",
                "the last checkpoint into <run>/fid/ (unless fid.enabled = false)."})
final class TrainCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--fresh", description = {"Discard an earlier attempt in <output.dir>/<run.id> and start over.",
            "Without it an interrupted run resumes from its newest committed checkpoint, and a finished one is left as is."})
    boolean fresh;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        SparkganConfig config = options.load();
        try (JavaSparkContext sc = SparkContexts.start(config.spark(), "train " + config.runId())) {
            Storage storage = new Storage(sc.hadoopConfiguration());
            TrainingJob.Result result = TrainingJob.run(config, sc, storage, fresh, (trained, dataset) -> {
                boolean scored = storage.exists(new Path(trained.run().fid(), "report.json"));
                if (config.fid().enabled() && !(trained.alreadyFinished() && scored)) {
                    try {
                        FidStage.run(sc, storage, config, dataset, trained.run(), List.of(trained.steps()));
                    } catch (RuntimeException | IOException e) {
                        // The run is complete (_SUCCESS) before scoring starts: say so, and how to score it later.
                        throw new EvaluationException("training finished and " + trained.run().root() + " is complete,"
                                + " but the FID stage failed: " + (e.getMessage() != null ? e.getMessage() : e.toString())
                                + " — score it later with: sparkgan fid --run " + trained.run().root()
                                + " --checkpoints last", e);
                    }
                }
            });
            spec.commandLine().getOut().println(result.run().root());
        }
        return 0;
    }
}

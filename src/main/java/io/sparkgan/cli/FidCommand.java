package io.sparkgan.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import io.sparkgan.config.ConfigException;
import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.data.HeldDataset;
import io.sparkgan.data.PreparedDataset;
import io.sparkgan.data.Preparer;
import io.sparkgan.eval.EvaluationException;
import io.sparkgan.eval.FidStage;
import io.sparkgan.eval.FidStats;
import io.sparkgan.eval.FidStatsFile;
import io.sparkgan.eval.FrechetDistance;
import io.sparkgan.eval.ImageStatistics;
import io.sparkgan.io.Json;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.train.Checkpoint;
import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "fid", mixinStandardHelpOptions = true,
        description = {"Score checkpoints of a run (FID, KID, mode coverage) into <run>/fid/report.{json,csv,html},",
                "print the FID between two statistics files (pytorch-fid .npz layout), or write the statistics of",
                "any images (--images, --save-stats) on the extractor that scores runs."})
final class FidCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--run", paramLabel = "DIR", description = "Run directory (any Hadoop URI or local path).")
        String run;

        @Option(names = "--stats", paramLabel = "NPZ", arity = "1",
                description = "A statistics file with mu and sigma; give exactly two.")
        List<String> stats;

        @Option(names = "--images", paramLabel = "SOURCE", description = {"Write the statistics of these images"
                + " (a folder of PNG/JPEG, a CSV manifest, an idx folder or a dataset manifest) to --save-stats,",
                "on the extractor that scores runs of this configuration (--config, --set): samples of another tool"
                        + " then compare with fid --stats."})
        String images;
    }

    @Option(names = "--save-stats", paramLabel = "NPZ", description = "With --images: where the statistics go.")
    String saveStats;

    @Option(names = "--images-split", paramLabel = "SPLIT", defaultValue = "train",
            description = "With --images of a dataset manifest or idx folder: which split (default: ${DEFAULT-VALUE}).")
    String imagesSplit;

    @Option(names = "--checkpoints", paramLabel = "all|last|STEP,...", defaultValue = "all",
            description = "Which committed checkpoints to score (default: ${DEFAULT-VALUE}).")
    String checkpoints;

    @Option(names = "--rescore", description = "Score every checkpoint again, even those the run's report already"
            + " holds with the same extractor, samples and seed (which are otherwise reused).")
    boolean rescore;

    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (target.stats != null) {
            return compareStats();
        }
        if (target.images != null) {
            return statsOfImages();
        }
        Path root = Storage.qualify(target.run);
        RunDirectory run = new RunDirectory(root);
        // run.conf holds its credentials redacted: the Hadoop settings to read it (an S3 endpoint and
        // keys) come from this command's --config and --set, spark-submit's --conf or the environment.
        String runConfText;
        try {
            runConfText = options.storageBeforeSpark().readStringUncached(run.runConf());
        } catch (FileNotFoundException e) {
            throw new ConfigException("--run " + target.run + ": no run.conf there; expected a run directory made by"
                    + " sparkgan train (<output.dir>/<run.id>/)");
        } catch (IOException e) {
            throw new ConfigException("--run " + target.run + ": cannot read " + run.runConf() + " (" + e.getMessage()
                    + "); give the filesystem's settings and credentials with --config or --set (spark.conf"
                    + " \"spark.hadoop.fs.s3a.*\" keys for s3a://) or the environment, as for the train that wrote it");
        }
        Config runConf = upgraded(ConfigLoader.parse(new StringReader(runConfText), run.runConf().toString()));
        List<String> forced = new ArrayList<>(List.of("output.dir=" + root.getParent(), "run.id=" + root.getName()));
        forced.addAll(pinnedByTheRun(runConf));
        SparkganConfig config = options.load(usable(runConf), forced);
        try (JavaSparkContext sc = SparkContexts.start(config.spark(), "fid " + config.runId())) {
            Storage storage = new Storage(sc.hadoopConfiguration());
            List<Long> steps = select(Checkpoint.committed(storage, run), checkpoints, run);
            try (HeldDataset data = Preparer.prepareAndHold(sc, config.data(), storage, config.leaseTimeout(),
                    "fid " + run.root())) {
                FidStage.run(sc, storage, config, data.dataset(), run, steps, rescore);
            }
            spec.commandLine().getOut().println(new Path(run.fid(), "report.html"));
        }
        return 0;
    }

    /**
     * The keys that define the checkpoints' networks, which half of a pair they map, and the FID noise:
     * they come from the run's
     * run.conf even when --config or --set say otherwise (a --config written for another model, or
     * conf/local.conf, would otherwise build networks the checkpoints' parameters do not fit).
     */
    static List<String> pinnedByTheRun(Config runConf) {
        List<String> pinned = new ArrayList<>();
        for (String path : List.of("model", "data.image-size", "data.channels", "data.layout", "data.direction",
                "train.seed")) {
            if (!runConf.hasPath(path)) {
                continue;
            }
            Config only = runConf.withOnlyPath(path);
            for (Map.Entry<String, ConfigValue> e : only.entrySet()) {
                ConfigValue value = e.getValue();
                // --set takes a string as it is written (quotes would become part of it)
                pinned.add(e.getKey() + "=" + (value.valueType() == ConfigValueType.STRING ? value.unwrapped()
                        : value.render(ConfigRenderOptions.concise())));
            }
        }
        return pinned;
    }

    /**
     * run.conf without what must not be reused: redacted secrets (credentials come from the caller's
     * config or environment) and spark.master (the fid job runs where it is submitted).
     */
    /**
     * A run.conf written by an earlier sparkgan, in today's keys: model.batch-norm (both networks
     * batch-normalised or neither) became model.g-norm and model.d-norm.
     */
    static Config upgraded(Config runConf) {
        if (!runConf.hasPath("model.batch-norm")) {
            return runConf;
        }
        String norm = runConf.getBoolean("model.batch-norm") ? "batch" : "none";
        Config result = runConf.withoutPath("model.batch-norm");
        for (String key : List.of("model.g-norm", "model.d-norm")) {
            if (!result.hasPath(key)) {
                result = result.withValue(key, ConfigValueFactory.fromAnyRef(norm, "model.batch-norm in "
                        + runConf.origin().description()));
            }
        }
        return result;
    }

    static Config usable(Config runConf) {
        Config result = runConf.withoutPath("spark.master");
        for (Map.Entry<String, ConfigValue> e : runConf.entrySet()) {
            if ("<redacted>".equals(e.getValue().unwrapped())) {
                result = result.withoutPath(e.getKey());
            }
        }
        return result;
    }

    static List<Long> select(List<Long> committed, String which, RunDirectory run) {
        if (committed.isEmpty()) {
            throw new EvaluationException(run.checkpoints() + " has no committed checkpoint to score");
        }
        String w = which.trim().toLowerCase(Locale.ROOT);
        if (w.equals("all")) {
            return committed;
        }
        if (w.equals("last")) {
            return List.of(committed.get(committed.size() - 1));
        }
        List<Long> steps = new ArrayList<>();
        for (String part : w.split(",")) {
            long step;
            try {
                step = Long.parseLong(part.trim());
            } catch (NumberFormatException e) {
                throw new ConfigException("--checkpoints " + which + ": expected all, last or comma-separated steps"
                        + " such as 500,1000");
            }
            if (!committed.contains(step)) {
                throw new ConfigException("--checkpoints " + which + ": there is no committed checkpoint at step " + step
                        + "; committed steps are " + committed);
            }
            steps.add(step);
        }
        return steps;
    }

    /**
     * Prepares the images into a scratch folder beside the output (every executor can read it there),
     * writes their statistics, and removes the folder.
     */
    private int statsOfImages() throws IOException {
        if (saveStats == null) {
            throw new ConfigException("--images needs --save-stats NPZ: where to write the images' statistics");
        }
        SparkganConfig config = options.load();
        Path out = Storage.qualify(saveStats);
        Path scratch = new Path(out.getParent(), "_" + out.getName() + ".images");
        try (JavaSparkContext sc = SparkContexts.start(config.spark(), "fid --images")) {
            Storage storage = new Storage(sc.hadoopConfiguration());
            try {
                PreparedDataset images = Preparer.prepare(sc, config.data().forImages(target.images,
                        scratch.toString(), imagesSplit), storage, config.leaseTimeout(), true);
                ImageStatistics.Saved saved;
                if (config.fid().extractor().equals("inception")) {
                    saved = ImageStatistics.save(sc, storage, config, null, images, out);
                } else { // the evaluator of the configured dataset: held while it is found or trained
                    try (HeldDataset training = Preparer.prepareAndHold(sc, config.data(), storage,
                            config.leaseTimeout(), "fid --images")) {
                        saved = ImageStatistics.save(sc, storage, config, training.dataset(), images, out);
                    }
                }
                var json = Json.object();
                json.put("stats", saved.uri());
                json.put("images", saved.count());
                json.put("feature_dim", saved.dimension());
                json.put("extractor", saved.extractor());
                json.put("extractor_sha256", saved.extractorSha256());
                spec.commandLine().getOut().println(Json.pretty(json));
            } finally {
                storage.delete(scratch);
            }
        }
        return 0;
    }

    private int compareStats() throws IOException {
        if (target.stats.size() != 2) {
            throw new ConfigException("--stats: give exactly two statistics files, got " + target.stats.size());
        }
        Storage storage = options.storageBeforeSpark();
        FidStats[] s = new FidStats[2];
        for (int i = 0; i < 2; i++) {
            Path path = Storage.qualify(target.stats.get(i));
            if (!storage.exists(path)) {
                throw new ConfigException("--stats " + target.stats.get(i) + ": no such file");
            }
            try {
                s[i] = FidStatsFile.read(new ByteArrayInputStream(storage.readBytes(path)));
            } catch (IllegalArgumentException | IOException e) {
                throw new ConfigException("--stats " + target.stats.get(i) + ": " + e.getMessage());
            }
        }
        if (s[0].dimension() != s[1].dimension()) {
            throw new ConfigException("--stats: the files have features of different dimensions (" + s[0].dimension()
                    + " and " + s[1].dimension() + "); they come from different extractors");
        }
        double fid = FrechetDistance.of(s[0].mu(), s[0].sigma(), s[1].mu(), s[1].sigma(), s[0].dimension());
        spec.commandLine().getOut().println("{\"fid\": " + fid + "}");
        return 0;
    }
}

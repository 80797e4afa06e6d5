package io.sparkgan.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.sparkgan.model.GanLoss;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.sparkgan.model.GradientPenalty;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private static ConfigException rejected(String... sets) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.load((Path) null, List.of(sets)));
    }

    @Test
    void defaultsDescribeTheQuickStart() {
        SparkganConfig c = ConfigLoader.load((Path) null, List.of());
        assertEquals("local[4]", c.spark().master());
        assertFalse(c.spark().masterExplicit());
        assertEquals(4, c.train().workers());
        assertEquals(28, c.data().imageSize());
        assertEquals(GanLoss.NON_SATURATING, c.train().loss());
        assertEquals(TrainConfig.StepOrder.ALTERNATING, c.train().order());
        assertTrue(c.runId().matches("\\d{8}-\\d{6}"), c.runId());
    }

    /**
     * stylegan2 brings StyleGAN2-ADA's training settings; path length regularisation (not built), a size
     * other than a power of two from 16 to 128, minibatch groups that do not divide a worker's batch, and
     * spectral norm each stop with one message.
     */
    @Test
    void styleGan2BringsItsDefaultsAndRefusesWhatItCannotDo() {
        SparkganConfig sg = ConfigLoader.load((Path) null, List.of("model.architecture=stylegan2", "data.image-size=32"));
        assertEquals(0.0, sg.train().adamBeta1());
        assertEquals(0.99, sg.train().adamBeta2());
        assertEquals(0.0025, sg.train().gLearningRate());
        assertEquals(16, sg.train().r1Every());
        assertEquals(0.9, sg.model().style().mixing());
        assertEquals(16, sg.model().gFeatures());
        String pl = rejected("model.architecture=stylegan2", "data.image-size=32", "train.pl-weight=2").getMessage();
        assertTrue(pl.contains("train.pl-weight") && pl.contains("not built"), pl);
        String size = rejected("model.architecture=stylegan2", "data.image-size=28").getMessage();
        assertTrue(size.contains("a power of two from 16 to 128"), size);
        String group = rejected("model.architecture=stylegan2", "data.image-size=32", "model.mbstd-group=5").getMessage();
        assertTrue(group.contains("model.mbstd-group") && group.contains("train.batch-per-worker = 32"), group);
        String sn = rejected("model.architecture=stylegan2", "data.image-size=32", "model.spectral-norm=true")
                .getMessage();
        assertTrue(sn.contains("model.spectral-norm") && sn.contains("leave the key out"), sn);
    }

    /**
     * model.architecture picks the networks and brings their defaults for the keys left out; a key the
     * architecture fixes, an unknown architecture and a size it cannot build each stop with one message
     * naming the key and what was expected.
     */
    @Test
    void eachArchitectureBringsItsDefaultsAndRefusesWhatDoesNotApply() throws IOException {
        SparkganConfig resnet = ConfigLoader.load(Path.of("conf/local.conf"), List.of("model.architecture=resnet"));
        assertEquals(io.sparkgan.model.GanArchitecture.Family.RESNET, resnet.model().family());
        assertEquals(GanLoss.HINGE, resnet.train().loss(), "resnet's own default loss");
        assertTrue(resnet.model().spectralNorm());
        assertEquals(128, resnet.model().latentDim());
        assertEquals(32, resnet.model().gFeatures(), "conf/local.conf's width means the same for resnet");
        assertTrue(resnet.renderedForRunDirectory().matches("(?s).*architecture\\s*=\\s*\"?resnet.*"),
                "config and run.conf show it");
        assertEquals(GanLoss.NON_SATURATING, ConfigLoader.load((Path) null, List.of("model.architecture=resnet",
                "train.loss=non-saturating")).train().loss(), "a key the user sets wins over the architecture's");
        assertEquals(GanLoss.NON_SATURATING, ConfigLoader.load((Path) null, List.of()).train().loss(),
                "dcgan keeps the general defaults");
        ConfigLoader.load((Path) null, List.of("model.architecture=resnet", "model.d-norm=none")); // its own value

        String fixed = rejected("model.architecture=resnet", "model.d-norm=layer").getMessage();
        assertTrue(fixed.contains("model.d-norm = \"layer\" (--set model.d-norm=layer) does not apply to"
                + " model.architecture = resnet") && fixed.contains("leave the key out"), fixed);
        String unknown = rejected("model.architecture=stylegan9").getMessage();
        assertTrue(unknown.contains("model.architecture = \"stylegan9\"") && unknown.contains("expected one of dcgan, pix2pix, resnet, stylegan2"),
                unknown);
        assertEquals(1, unknown.split("expected").length - 1, "one message: " + unknown);
        String size = rejected("model.architecture=resnet", "data.image-size=25").getMessage();
        assertTrue(size.contains("data.image-size = 25") && size.contains("for model.architecture = resnet"), size);
        ConfigLoader.load((Path) null, List.of("model.architecture=resnet", "data.image-size=14")); // 14 → 7
        // reference.conf's architectures section: one entry per architecture, each key one a user may set
        com.typesafe.config.Config reference = ConfigFactory.parseResources("reference.conf");
        java.util.Set<String> families = new java.util.TreeSet<>();
        for (io.sparkgan.model.GanArchitecture.Family f : io.sparkgan.model.GanArchitecture.Family.values()) {
            families.add(f.key());
        }
        assertEquals(families, new java.util.TreeSet<>(reference.getObject("architectures").keySet()));
        for (String family : families) {
            com.typesafe.config.Config defaults = reference.getConfig("architectures." + family);
            for (var entry : defaults.withoutPath("fixed").entrySet()) {
                assertTrue(reference.hasPath(entry.getKey()), family + "'s default " + entry.getKey() + " is no key");
            }
            for (String key : defaults.getStringList("fixed")) {
                assertTrue(defaults.hasPath(key), family + " fixes " + key + " without giving its value");
            }
        }
    }

    /** Unset, data.shards is a folder per source and byte-changing settings, and run.conf records it. */
    @Test
    void theDefaultShardsFolderFollowsTheSourceAndTheSettingsThatChangeTheBytes() {
        SparkganConfig quickStart = ConfigLoader.load((Path) null, List.of());
        String folder = quickStart.data().shards();
        assertTrue(folder.matches("sparkgan-work/shards/fashion-mnist-28px-grey-[0-9a-f]{8}"), folder);
        assertTrue(quickStart.renderedForRunDirectory().contains(folder), "run.conf and `config` show it");
        assertEquals(folder, ConfigLoader.load((Path) null, List.of("data.cache=stream", "train.steps=5",
                "data.lanes=4")).data().shards(), "settings that do not change the bytes keep the folder");
        for (String other : List.of("data.image-size=32", "data.channels=3", "data.limit=100", "data.split=test",
                "data.shard-size=1M", "data.convert-channels=true", "data.max-pixels=1000",
                "data.source=/data/faces", "data.layout=aligned")) {
            String changed = ConfigLoader.load((Path) null, List.of(other)).data().shards();
            assertFalse(changed.equals(folder), other + " gets a folder of its own");
        }
        assertTrue(ConfigLoader.load((Path) null, List.of("data.image-size=32", "data.shards-root=hdfs:///gan/shards"))
                .data().shards().matches("hdfs:///gan/shards/fashion-mnist-32px-grey-[0-9a-f]{8}"));
        assertEquals(folder, ConfigLoader.load((Path) null, List.of("data.direction=BtoA")).data().shards(),
                "a pair's direction is training's choice, not the bytes'");
        assertTrue(ConfigLoader.load((Path) null, List.of("data.layout=aligned")).data().shards()
                .matches("sparkgan-work/shards/fashion-mnist-28px-grey-pairs-[0-9a-f]{8}"));
        assertEquals("/mine", ConfigLoader.load((Path) null, List.of("data.shards=/mine")).data().shards(),
                "a data.shards given is used as it is");
        assertTrue(assertThrows(ConfigException.class, () -> ConfigLoader.load(
                ConfigFactory.parseString("data.shards-root = \"\""), List.of())).getMessage()
                .contains("data.shards-root: expected a directory URI"));
    }

    @Test
    void setOverridesFileWhichOverridesReference() throws IOException {
        Path file = dir.resolve("job.conf");
        Files.writeString(file, "train { steps = 7, workers = 2 }\nspark.master = \"local[2]\"\n");
        SparkganConfig c = ConfigLoader.load(file, List.of("train.steps=9", "spark.conf.\"spark.executor.memory\"=2g"));
        assertEquals(9, c.train().steps());
        assertEquals(2, c.train().workers());
        assertEquals("local[2]", c.spark().master());
        assertTrue(c.spark().masterExplicit());
        assertEquals("2g", c.spark().conf().get("spark.executor.memory"));
    }

    @Test
    void unknownKeyIsNamedWithASuggestion() {
        ConfigException e = rejected("train.stesp=10");
        assertTrue(e.getMessage().contains("unknown key train.stesp"), e.getMessage());
        assertTrue(e.getMessage().contains("did you mean train.steps?"), e.getMessage());
        assertTrue(e.getMessage().contains("--set train.stesp=10"), e.getMessage());
    }

    @Test
    void aKeyThatWasReplacedSaysWhatReplacedIt() {
        ConfigException e = rejected("data.images-per-shard=10000");
        assertTrue(e.getMessage().contains("unknown key data.images-per-shard (--set data.images-per-shard=10000):"
                + " replaced by data.shard-size, the most bytes a shard holds (e.g. 64M), whatever the image size"),
                e.getMessage());
        assertEquals(16L << 20, ConfigLoader.load((Path) null, List.of()).data().shardSize());
        assertEquals(512L << 10, ConfigLoader.load((Path) null, List.of("data.shard-size=512K")).data().shardSize());
        assertTrue(rejected("data.shard-size=lots").getMessage().contains("a size in bytes such as 64M or 512K"));
        e = rejected("train.ema-decay=0.999");
        assertTrue(e.getMessage().contains("unknown key train.ema-decay (--set train.ema-decay=0.999): replaced by"
                + " train.ema-half-life, the EMA's half-life in images (0 = no EMA; e.g. 10000), and train.ema-rampup"),
                e.getMessage());
        e = rejected("model.batch-norm=false");
        assertTrue(e.getMessage().contains("unknown key model.batch-norm (--set model.batch-norm=false): replaced by"
                + " model.g-norm (batch | none) and model.d-norm (batch | layer | none); batch-norm = true is both"
                + " \"batch\" (the default), false is both \"none\""), e.getMessage());
    }

    @Test
    void aGradientPenaltyNeedsADiscriminatorWithoutBatchNorm() {
        for (String penalty : List.of("train.loss=wgan-gp", "train.r1-gamma=1")) {
            ConfigException e = rejected(penalty);
            assertTrue(e.getMessage().contains("model.d-norm = \"batch\"") && e.getMessage().contains(
                    "expected \"layer\" or \"none\" with " + (penalty.contains("wgan") ? "train.loss = wgan-gp"
                    : "train.r1-gamma > 0") + " (a gradient penalty needs each image's own input gradient"),
                    e.getMessage());
            SparkganConfig ok = ConfigLoader.load((Path) null, List.of(penalty, "model.d-norm=layer"));
            assertEquals(1, ok.train().gradientPenalties().size());
        }
        SparkganConfig both = ConfigLoader.load((Path) null, List.of("train.loss=wgan-gp", "train.r1-gamma=0.5",
                "train.r1-every=4", "model.d-norm=none"));
        assertEquals(List.of(GradientPenalty.wganGp(10), GradientPenalty.r1(0.5, 4)), both.train().gradientPenalties());
        assertTrue(rejected("train.loss=wgan-gp", "model.d-norm=none", "train.d-skip-below=0.1").getMessage()
                .contains("0 with train.loss = wgan-gp"));
        assertTrue(ConfigLoader.load((Path) null, List.of()).train().gradientPenalties().isEmpty());
        assertTrue(rejected("train.loss=wgan-gp", "model.d-norm=none", "train.gp-weight=0").getMessage()
                .contains("train.gp-weight = 0"));
        assertEquals(new io.sparkgan.model.Augmentation.Policy(true, true, true), ConfigLoader.load((Path) null,
                List.of("train.augment=color, translation,cutout")).train().augment());
        assertTrue(rejected("train.augment=flip").getMessage().contains("train.augment = \"flip\""
                + " (--set train.augment=flip): expected a comma-separated list of colour, translation and cutout"));
    }

    @Test
    void unknownKeyInAFileNamesTheFileAndLine() throws IOException {
        Path file = dir.resolve("bad.conf");
        Files.writeString(file, "data {\n  imagesize = 64\n}\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, List.of()));
        assertTrue(e.getMessage().contains("unknown key data.imagesize"), e.getMessage());
        assertTrue(e.getMessage().contains("bad.conf: 2"), e.getMessage());
        assertTrue(e.getMessage().contains("data.image-size"), e.getMessage());
    }

    @Test
    void wrongTypeNamesKeyValueAndExpectation() {
        ConfigException e = rejected("train.steps=lots");
        assertTrue(e.getMessage().contains("train.steps = \"lots\""), e.getMessage());
        assertTrue(e.getMessage().contains("expected a whole number ≥ 1"), e.getMessage());
    }

    @Test
    void fractionalNumberForAWholeNumberKeyIsRejected() {
        ConfigException e = rejected("train.batch-per-worker=12.5");
        assertTrue(e.getMessage().contains("train.batch-per-worker = 12.5"), e.getMessage());
    }

    @Test
    void outOfRangeValueIsRejected() {
        ConfigException e = rejected("train.workers=0");
        assertTrue(e.getMessage().contains("train.workers = 0"), e.getMessage());
        assertTrue(e.getMessage().contains("from 1 to 100000"), e.getMessage());
        assertTrue(rejected("data.max-reject-fraction=1.5").getMessage().contains("from 0 to 1"));
        assertTrue(rejected("train.d-learning-rate=-0.1").getMessage().contains("train.d-learning-rate = -0.1"));
    }

    @Test
    void booleanMustBeABoolean() {
        ConfigException e = rejected("train.shuffle=sometimes");
        assertTrue(e.getMessage().contains("train.shuffle = \"sometimes\""), e.getMessage());
        assertTrue(e.getMessage().contains("expected true or false"), e.getMessage());
    }

    @Test
    void enumerationsListTheirChoices() {
        ConfigException e = rejected("train.loss=hinges");
        assertTrue(e.getMessage().contains("train.loss = \"hinges\""), e.getMessage());
        assertTrue(e.getMessage().contains("expected one of non-saturating, wgan, wgan-gp, hinge, least-squares"),
                e.getMessage());
        assertTrue(rejected("train.order=random").getMessage().contains("alternating, simultaneous"));
    }

    @Test
    void imageSizeMustReachASmallGrid() {
        ConfigException e = rejected("data.image-size=27");
        assertTrue(e.getMessage().contains("data.image-size = 27"), e.getMessage());
        assertTrue(e.getMessage().contains("28, 32, 48, 64"), e.getMessage());
    }

    @Test
    void layoutsAreNamedAndUnpairedIsNotBuiltYet() {
        assertTrue(rejected("data.layout=pairs").getMessage().contains("expected one of images, aligned, unpaired"));
        assertTrue(rejected("data.layout=unpaired").getMessage().contains("unpaired, CycleGAN's two folders, is not built"
                + " yet"));
        assertTrue(rejected("data.direction=AB").getMessage().contains("expected one of AtoB, BtoA"));
        assertEquals(DataConfig.Direction.B_TO_A, ConfigLoader.load((Path) null, List.of("data.direction=BtoA"))
                .data().direction());
    }

    @Test
    void channelsMustBeGreyOrRgb() {
        assertTrue(rejected("data.channels=2").getMessage().contains("1 (grey) or 3 (RGB)"));
    }

    @Test
    void sampleCountMustBeSquare() {
        assertTrue(rejected("train.sample-count=50").getMessage().contains("a square number"));
    }

    @Test
    void theDSkipHeuristicDoesNotApplyToWgan() {
        ConfigException e = rejected("train.loss=wgan", "train.d-skip-below=0.5");
        assertTrue(e.getMessage().contains("train.d-skip-below") && e.getMessage().contains("0 with train.loss = wgan"),
                e.getMessage());
    }

    @Test
    void labelSmoothingAppliesToTheNonSaturatingLossOnly() {
        for (String loss : List.of("wgan", "hinge", "least-squares")) {
            ConfigException e = rejected("train.loss=" + loss, "train.label-smoothing=0.1");
            assertTrue(e.getMessage().contains("train.label-smoothing") && e.getMessage().contains("0 with train.loss = "
                    + loss + " (smoothing applies to the non-saturating loss's targets only)"), e.getMessage());
        }
    }

    @Test
    void allProblemsAreReportedTogether() {
        ConfigException e = rejected("train.steps=0", "train.workers=-1", "data.channels=7");
        assertEquals(3, e.problems().size(), e.getMessage());
    }

    @Test
    void malformedSetIsRejected() {
        assertTrue(rejected("train.steps").getMessage().contains("expected key=value"));
    }

    @Test
    void missingConfigFileIsNamed() {
        Path missing = dir.resolve("nope.conf");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(missing, List.of()));
        assertTrue(e.getMessage().contains("nope.conf: no such file"), e.getMessage());
    }

    @Test
    void invalidHoconIsReportedWithItsFile() throws IOException {
        Path file = dir.resolve("broken.conf");
        Files.writeString(file, "train { steps = \n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(file, List.of()));
        assertTrue(e.getMessage().contains("broken.conf"), e.getMessage());
        assertTrue(e.getMessage().contains("not valid HOCON"), e.getMessage());
    }

    @Test
    void runIdMustBeADirectoryName() {
        assertTrue(rejected("run.id=\"../escape\"").getMessage().contains("run.id"));
    }

    @Test
    void secretsAreRedactedInTheRenderedConfig() {
        SparkganConfig c = ConfigLoader.load((Path) null, List.of(
                "spark.conf.\"spark.hadoop.fs.s3a.secret.key\"=hunter2",
                "spark.conf.\"spark.hadoop.fs.s3a.access.key\"=AKIAEXAMPLE",
                "spark.conf.\"spark.executor.memory\"=4g"));
        String rendered = c.renderedForRunDirectory();
        assertFalse(rendered.contains("hunter2"), rendered);
        assertFalse(rendered.contains("AKIAEXAMPLE"), rendered);
        assertTrue(rendered.contains("<redacted>"), rendered);
        assertTrue(rendered.contains("4g"), rendered);
        assertEquals("hunter2", c.spark().conf().get("spark.hadoop.fs.s3a.secret.key"));
    }

    @Test
    void everyReferenceKeyHasAComment() throws IOException {
        String text = new String(ConfigLoader.class.getResourceAsStream("/reference.conf").readAllBytes());
        String[] lines = text.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].trim();
            if (line.matches("[a-z0-9-]+\\s*=.*") && !line.endsWith("{")) {
                int j = i - 1;
                while (j >= 0 && lines[j].trim().matches("[a-z0-9-]+\\s*=.*")) {
                    j--; // consecutive keys may share one comment (e.g. the two learning rates)
                }
                assertTrue(j >= 0 && lines[j].trim().startsWith("#"), "reference.conf key without a comment: " + line);
            }
        }
    }
}

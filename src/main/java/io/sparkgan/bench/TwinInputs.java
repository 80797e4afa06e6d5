package io.sparkgan.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.SparkganConfig;
import io.sparkgan.config.TrainConfig;
import io.sparkgan.data.PreparedDataset;
import io.sparkgan.data.Preparer;
import io.sparkgan.data.SampleOrder;
import io.sparkgan.data.StoredShards;
import io.sparkgan.data.TrainingData;
import io.sparkgan.data.WorkerInput;
import io.sparkgan.distributed.StepInputs;
import io.sparkgan.io.Json;
import io.sparkgan.io.Npy;
import io.sparkgan.io.NpyArray;
import io.sparkgan.io.Storage;
import io.sparkgan.model.networks.GanNetwork;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.Noise;
import io.sparkgan.model.ParamLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * What the PyTorch twin of a run needs to replay its first steps (src/bench/torch_dcgan_twin.py,
 * docs/dcgan-twin.sh): G's and D's step-0 parameters with their layout, and for each step the
 * global batch of real images (uint8, as stored) and the noise of D's and G's rounds, in the slots the
 * run uses them. Written as .npy files into a folder, with the settings the twin builds its networks
 * and optimisers from.
 */
public final class TwinInputs {
    private TwinInputs() {
    }

    /** Writes the inputs of steps 1..{@code steps} of the run {@code config} describes into {@code out}. */
    public static void write(SparkganConfig config, JavaSparkContext sc, Storage storage, int steps,
                             Path out) throws IOException {
        TrainConfig train = config.train();
        if (train.order() != TrainConfig.StepOrder.ALTERNATING || train.dStepsPerGStep() != 1) {
            throw new IllegalArgumentException("the twin replays train.order = alternating with one D round a step");
        }
        PreparedDataset dataset = Preparer.prepare(sc, config.data(), storage);
        GanArchitecture a = config.architecture(dataset.info().classes().size());
        if (a.conditional()) {
            throw new IllegalArgumentException("the twin replays an unconditional DCGAN");
        }
        StoredShards reader = TrainingData.reader(sc, storage, config.data(), dataset);
        SampleOrder order = TrainingData.order(train, config.data(), reader);
        WorkerInput everyone = new WorkerInput(0, 1, order, reader); // one worker: the whole global batch, in slot order
        int batch = train.globalBatch();
        int pixels = reader.pixelsPerImage();
        int latent = a.latentDim();
        byte[] real = new byte[steps * batch * pixels];
        float[] zd = new float[steps * batch * latent];
        float[] zg = new float[steps * batch * latent];
        for (int t = 0; t < steps; t++) {
            byte[] images = everyone.batch(StepInputs.realBatch(t, 0, 1)).images();
            System.arraycopy(images, 0, real, t * batch * pixels, batch * pixels);
            System.arraycopy(StepInputs.discriminatorNoise(train.seed(), t, 0, batch, latent), 0, zd, t * batch * latent,
                    batch * latent);
            System.arraycopy(StepInputs.generatorNoise(train.seed(), t, batch, latent), 0, zg, t * batch * latent,
                    batch * latent);
        }
        Files.createDirectories(out);
        ParamLayout g = GanNetwork.of(a).generatorLayout();
        ParamLayout d = GanNetwork.of(a).discriminatorLayout();
        Files.write(out.resolve("g0.npy"), Npy.toBytes(NpyArray.ofFloats(g.initialise(Noise.seed(train.seed(), 'G')),
                g.size())));
        Files.write(out.resolve("d0.npy"), Npy.toBytes(NpyArray.ofFloats(d.initialise(Noise.seed(train.seed(), 'D')),
                d.size())));
        Files.write(out.resolve("real.npy"), Npy.header("'|u1'", steps, batch, a.channels(), a.imageSize(),
                a.imageSize()));
        Files.write(out.resolve("real.npy"), real, StandardOpenOption.APPEND);
        Files.write(out.resolve("zd.npy"), Npy.toBytes(NpyArray.ofFloats(zd, steps, batch, latent)));
        Files.write(out.resolve("zg.npy"), Npy.toBytes(NpyArray.ofFloats(zg, steps, batch, latent)));
        ObjectNode settings = Json.object();
        settings.put("steps", steps).put("batch", batch).put("latent_dim", latent).put("channels", a.channels())
                .put("image_size", a.imageSize()).put("loss", train.loss().name())
                .put("g_learning_rate", train.gLearningRate()).put("d_learning_rate", train.dLearningRate())
                .put("adam_beta1", train.adamBeta1()).put("adam_beta2", train.adamBeta2())
                .put("adam_epsilon", train.adamEpsilon());
        layout(settings.putArray("generator"), g);
        layout(settings.putArray("discriminator"), d);
        Files.writeString(out.resolve("settings.json"), Json.pretty(settings), StandardCharsets.UTF_8);
    }

    private static void layout(ArrayNode into, ParamLayout layout) {
        for (ParamLayout.Param p : layout.params()) {
            ArrayNode shape = into.addObject().put("name", p.name()).put("offset", p.offset()).putArray("shape");
            Arrays.stream(p.shape()).forEach(shape::add);
        }
    }

    /** {@code TwinInputs OUT STEPS [--set key=value ...]}: the config as the run's (--set only). */
    public static void main(String[] args) throws IOException {
        List<String> sets = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            if (!args[i].equals("--set")) {
                sets.add(args[i]);
            }
        }
        SparkganConfig config = ConfigLoader.load((Path) null, sets);
        try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setMaster("local[1]")
                .setAppName("sparkgan twin inputs").set("spark.ui.enabled", "false"))) {
            write(config, sc, new Storage(sc.hadoopConfiguration()), Integer.parseInt(args[1]),
                    Path.of(args[0]));
        }
    }
}

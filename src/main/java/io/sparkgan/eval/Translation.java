package io.sparkgan.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.config.DataConfig;
import io.sparkgan.data.ImageDecoder;
import io.sparkgan.data.ImageRecord;
import io.sparkgan.data.Prepared;
import io.sparkgan.data.Reject;
import io.sparkgan.io.Json;
import io.sparkgan.io.Png;
import io.sparkgan.io.Storage;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import io.sparkgan.model.GanReplica;
import io.sparkgan.model.KernelCase;
import io.sparkgan.model.networks.ExportedGenerators;
import io.sparkgan.model.networks.NetworkKernels;
import io.sparkgan.runtime.GpuBinding;
import io.sparkgan.runtime.NativeSelfCheck;
import io.sparkgan.runtime.Nd4jSetup;
import io.sparkgan.runtime.ReplicaCache;
import io.sparkgan.train.Checkpoint;
import io.sparkgan.train.TranslationGrid;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code translate}: every image under a folder mapped by a translation checkpoint's generator on the
 * executors, each written under the same relative path as a PNG with the synthetic-content marks and
 * {@code sparkgan:source}; then {@code translate.json}, last, with what was written and what was not.
 * Images are resized as prepare resizes them; an aligned file gives its input half. The batches are
 * fixed runs of the listing and a task takes whole batches, G normalises each image on its own and
 * image i's dropout comes from (seed, i): the outputs are the same bits on any number of executors.
 */
public final class Translation {
    private static final Logger LOG = LoggerFactory.getLogger(Translation.class);
    public static final String MANIFEST = "translate.json";

    /**
     * @param aligned the inputs are pairs side by side (pix2pix's layout), of which the input half is taken
     * @param direction with {@code aligned}: which half is the input; null for the one the checkpoint
     *     was trained with
     */
    public record Settings(boolean aligned, DataConfig.Direction direction, long seed, int batch, int threads,
                           long maxPixels) implements Serializable {}

    public record Result(Path out, long written, long skipped) {}

    private record Outcome(String relative, String reason) implements Serializable {}

    private Translation() {
    }

    public static Result write(JavaSparkContext sc, Storage storage, Path checkpoint, Path in, Path out,
                               Settings asked) throws IOException {
        long started = System.nanoTime();
        GanArchitecture a = architecture(storage, checkpoint);
        float[] generator = Checkpoint.generatorParams(storage, checkpoint, true).get(0).params();
        var state = Checkpoint.stateJson(storage, checkpoint);
        String runId = state.path("run_id").asText("");
        long step = state.path("step").asLong();
        Settings settings = withDirection(asked, state.path("direction").asText(""), checkpoint);
        requireApart(in, out);
        TranslationInputs listing = TranslationInputs.list(storage, in);
        storage.mkdirs(out);
        if (storage.exists(new Path(out, MANIFEST))) {
            storage.delete(new Path(out, MANIFEST)); // the folder is being rewritten: incomplete until the end
        }
        List<KernelCase> kernels = NetworkKernels.generator(a, settings.batch());
        NativeSelfCheck.require(kernels);
        List<Outcome> failed = map(sc, storage, a, generator, listing.inputs(), out, settings, kernels,
                Png.syntheticMarks(runId, step));
        List<TranslationInputs.Skipped> skipped = new ArrayList<>(listing.skipped());
        failed.forEach(f -> skipped.add(new TranslationInputs.Skipped(f.relative(), f.reason())));
        long written = listing.inputs().size() - failed.size();
        double seconds = (System.nanoTime() - started) / 1e9;
        ObjectNode manifest = Json.object();
        manifest.put("checkpoint", checkpoint.toString()).put("run_id", runId).put("step", step);
        manifest.put("in", in.toString()).put("layout", settings.aligned() ? "aligned" : "images");
        manifest.put("direction", settings.aligned() ? settings.direction().key() : "none: each file whole");
        manifest.put("trained_direction", state.path("direction").asText(DataConfig.Direction.A_TO_B.key()));
        manifest.put("seed", settings.seed()).put("batch", settings.batch());
        manifest.put("files", "<relative path>.png for each input, as prepare resizes it (" + a.imageSize() + "×"
                + a.imageSize() + ")");
        manifest.putObject("counts").put("inputs", listing.inputs().size() + listing.skipped().size())
                .put("written", written).put("skipped", skipped.size());
        ArrayNode list = manifest.putArray("skipped");
        skipped.forEach(s -> list.addObject().put("path", s.relative()).put("reason", s.reason()));
        manifest.put("synthetic", true).put("seconds", seconds);
        storage.writeString(new Path(out, MANIFEST), Json.pretty(manifest));
        LOG.info("translate: {} images from {} through {} (step {}) in {} s to {}; {} skipped (reasons in {})", written,
                in, checkpoint, step, String.format(Locale.ROOT, "%.1f", seconds), out, skipped.size(), MANIFEST);
        return new Result(out, written, skipped.size());
    }

    /** --out must not be --in or under it: its PNGs would replace inputs, or be read as inputs next time. */
    private static void requireApart(Path in, Path out) {
        String inside = in.toString().replaceAll("/+$", "") + "/";
        String target = out.toString().replaceAll("/+$", "") + "/";
        if (target.startsWith(inside)) {
            throw new EvaluationException("--out " + out + " is " + (target.equals(inside) ? "--in itself"
                    : "inside --in " + in) + ": its outputs would replace inputs of the same name, or be read as"
                    + " inputs by the next translate; give a folder outside --in");
        }
    }

    /**
     * The settings with the input half decided: the checkpoint's data.direction unless --direction says
     * otherwise (said, since G then maps the half it was not trained on). A checkpoint that does not
     * record one was trained AtoB.
     */
    private static Settings withDirection(Settings s, String trained, Path checkpoint) {
        DataConfig.Direction recorded = trained.equals(DataConfig.Direction.B_TO_A.key())
                ? DataConfig.Direction.B_TO_A : DataConfig.Direction.A_TO_B;
        if (s.direction() != null && s.direction() != recorded && s.aligned()) {
            LOG.warn("translate: --direction {} feeds {}'s generator the {} half of each pair, but it was trained"
                    + " {} (on the {} half); leave --direction out to map the half it was trained on",
                    s.direction().key(), checkpoint, half(s.direction()), recorded.key(), half(recorded));
        }
        return new Settings(s.aligned(), s.direction() == null ? recorded : s.direction(), s.seed(), s.batch(),
                s.threads(), s.maxPixels());
    }

    private static String half(DataConfig.Direction d) {
        return d == DataConfig.Direction.A_TO_B ? "A (left)" : "B (right)";
    }

    /** The checkpoint's generator's network, refused unless it translates. */
    private static GanArchitecture architecture(Storage storage, Path checkpoint) throws IOException {
        Path graphFile = Checkpoint.generatorGraph(storage, checkpoint, true).graph();
        SameDiff graph = SampleGenerator.load(storage.readBytes(graphFile));
        GanArchitecture a = ExportedGenerators.architecture(
                name -> graph.hasVariable(name) ? graph.getVariable(name).getShape() : null);
        if (a == null || !a.family().translates()) {
            throw new EvaluationException("--checkpoint " + checkpoint + ": its generator maps noise to images ("
                    + (a == null ? "an unknown network" : "model.architecture = " + a.family().key()) + "), not an"
                    + " image to an image; use sparkgan sample");
        }
        return a;
    }

    /** Maps the inputs on the executors; returns those that could not be read as images. */
    private static List<Outcome> map(JavaSparkContext sc, Storage storage, GanArchitecture a, float[] generator,
                                     List<TranslationInputs.Input> inputs, Path out, Settings s,
                                     List<KernelCase> kernels, Map<String, String> marks) {
        int batches = (inputs.size() + s.batch() - 1) / s.batch();
        int tasks = Math.max(1, Math.min(batches, sc.defaultParallelism()));
        Broadcast<float[]> params = sc.broadcast(generator);
        Broadcast<Storage> sharedStorage = sc.broadcast(storage);
        Broadcast<List<TranslationInputs.Input>> shared = sc.broadcast(inputs);
        String dir = out.toString();
        try {
            sc.setJobDescription("sparkgan translate: " + inputs.size() + " images");
            List<List<Outcome>> parts = sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks).map(t -> {
                Nd4jSetup.threads(s.threads());
                GpuBinding.bindCurrentTask();
                NativeSelfCheck.require(kernels);
                GanReplica replica = ReplicaCache.get(a, GanLoss.NON_SATURATING, 1.0);
                replica.setGenerator(params.value());
                List<Outcome> bad = new ArrayList<>();
                for (int b = t * batches / tasks; b < (t + 1) * batches / tasks; b++) {
                    List<TranslationInputs.Input> all = shared.value();
                    List<TranslationInputs.Input> batch = all.subList(b * s.batch(),
                            Math.min(all.size(), (b + 1) * s.batch()));
                    bad.addAll(mapBatch(replica, sharedStorage.value(), a, batch, dir, s, marks));
                }
                return bad;
            }).collect();
            List<Outcome> failed = new ArrayList<>();
            parts.forEach(failed::addAll);
            return failed;
        } finally {
            params.destroy(false);
            sharedStorage.destroy(false);
            shared.destroy(false);
        }
    }

    /**
     * One batch: decoded, then G on each run of consecutive decodable images at once (their dropout slots
     * are their indices), each output written as a PNG.
     */
    private static List<Outcome> mapBatch(GanReplica replica, Storage storage, GanArchitecture a,
                                          List<TranslationInputs.Input> batch, String dir, Settings s,
                                          Map<String, String> marks) throws IOException {
        ImageDecoder decoder = new ImageDecoder(a.imageSize(), a.channels(), s.maxPixels(), true, s.aligned());
        int perImage = a.pixelsPerImage();
        List<Outcome> bad = new ArrayList<>();
        List<TranslationInputs.Input> run = new ArrayList<>();
        List<float[]> pixels = new ArrayList<>();
        for (int i = 0; i <= batch.size(); i++) {
            Prepared p = null;
            if (i < batch.size()) {
                TranslationInputs.Input input = batch.get(i);
                byte[] bytes;
                try {
                    bytes = storage.readBytes(new Path(input.path()));
                    p = decoder.decode(input.relative(), bytes, -1);
                } catch (IOException e) {
                    p = new Reject(input.relative(), "unreadable: " + e.getMessage());
                }
                if (p instanceof Reject reject) {
                    bad.add(new Outcome(input.relative(), reject.reason()));
                } else {
                    byte[] image = ((ImageRecord) p).pixels();
                    int from = s.aligned() && s.direction() == DataConfig.Direction.B_TO_A ? perImage : 0;
                    float[] x = new float[perImage];
                    for (int j = 0; j < perImage; j++) {
                        x[j] = (image[from + j] & 0xff) / 127.5f - 1f;
                    }
                    run.add(input);
                    pixels.add(x);
                    continue;
                }
            }
            if (!run.isEmpty()) { // the run of decodable images before this one
                writeRun(replica, storage, a, run, pixels, dir, s, marks);
                run.clear();
                pixels.clear();
            }
        }
        return bad;
    }

    private static void writeRun(GanReplica replica, Storage storage, GanArchitecture a,
                                 List<TranslationInputs.Input> run, List<float[]> pixels, String dir, Settings s,
                                 Map<String, String> marks) throws IOException {
        int n = run.size();
        int perImage = a.pixelsPerImage();
        float[] x = new float[n * perImage];
        for (int i = 0; i < n; i++) {
            System.arraycopy(pixels.get(i), 0, x, i * perImage, perImage);
        }
        float[] y = replica.generate(Nd4j.create(x, new long[] {n, a.channels(), a.imageSize(), a.imageSize()}, 'c'),
                null, TranslationGrid.inference(s.seed(), run.get(0).index())).castTo(DataType.FLOAT).data().asFloat();
        for (int i = 0; i < n; i++) {
            float[] one = new float[perImage];
            System.arraycopy(y, i * perImage, one, 0, perImage);
            Map<String, String> text = new LinkedHashMap<>(marks);
            text.put("sparkgan:source", run.get(i).relative());
            storage.writeAtomically(new Path(dir, run.get(i).output()),
                    Png.encode(Png.image(one, a.channels(), a.imageSize()), text));
        }
    }
}

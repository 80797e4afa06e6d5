package io.sparkgan.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.io.Json;
import io.sparkgan.io.Png;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.model.networks.ExportedGenerators;
import io.sparkgan.model.networks.NetworkKernels;
import io.sparkgan.model.KernelCase;
import io.sparkgan.model.Noise;
import io.sparkgan.runtime.GpuBinding;
import io.sparkgan.runtime.NativeSelfCheck;
import io.sparkgan.runtime.Nd4jSetup;
import io.sparkgan.train.Checkpoint;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
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
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code sparkgan sample}: images from a committed checkpoint's exported generator (its {@code .sdz}
 * graph: placeholder {@code z}, output {@code images}), written as one PNG each by the executors,
 * straight to the output filesystem; plus an interpolation strip between the latent vectors of two
 * seeds. Every PNG carries the synthetic-content text chunks. {@code samples.json}, written last,
 * says what the directory holds; without it the directory is incomplete.
 *
 * <p>Image i comes from noise slot i of the seed, and the images are generated in fixed batches of
 * the whole request that do not depend on how they are spread over executors (the generator's batch
 * norm uses batch statistics), so the same checkpoint, seed, count and batch give the same files.
 */
public final class Sampling {
    private static final Logger LOG = LoggerFactory.getLogger(Sampling.class);
    public static final String MANIFEST = "samples.json";

    /**
     * What to write.
     *
     * @param count images to write
     * @param seed noise seed; image i uses slot i of its stream
     * @param batch images per forward pass (generation always runs at least one full batch)
     * @param generator which of the checkpoint's generators: {@code ema}, {@code raw}, or {@code better}
     *     (the one the run's FID report scored lower at this checkpoint; the EMA one without such a
     *     score)
     * @param from seed of the interpolation's first latent vector
     * @param to seed of its last
     * @param frames images in the interpolation strip (0 = none)
     * @param threads ND4J threads per task
     * @param classes a conditional generator's classes, taken in turn (image i is of class
     *     classes[i mod length]); null for every class in turn. Must be null for an unconditional one.
     */
    public record Settings(long count, long seed, int batch, String generator, long from, long to, int frames,
                           int threads, int[] classes) implements Serializable {}

    /** What was written. */
    public record Result(Path out, long images, Path interpolation, String runId, long step, String generator,
                         double seconds) {}

    /** The generator file and the provenance a sample needs, read from a checkpoint directory. */
    private record Source(Path checkpoint, Path graph, String generator, String runId, long step) {}

    private Sampling() {
    }

    /**
     * A committed checkpoint from {@code location}: a checkpoint directory, or a run directory, of
     * which the newest committed checkpoint is taken.
     */
    public static Path resolveCheckpoint(Storage storage, String location) throws IOException {
        Path path = Storage.qualify(location);
        if (!storage.exists(path)) {
            throw new EvaluationException("--checkpoint " + location + ": no such file or directory");
        }
        if (Checkpoint.isCommitted(storage, path)) {
            return path;
        }
        RunDirectory run = new RunDirectory(path);
        if (storage.exists(run.checkpoints())) {
            List<Long> committed = Checkpoint.committed(storage, run);
            if (committed.isEmpty()) {
                throw new EvaluationException("--checkpoint " + location + ": the run has no committed checkpoint yet");
            }
            return run.checkpoint(committed.get(committed.size() - 1));
        }
        throw new EvaluationException("--checkpoint " + location + ": expected a committed checkpoint directory"
                + " (<run>/checkpoints/step-NNNNNNNN/ with _COMMITTED) or a run directory; "
                + (path.getName().startsWith("step-") ? "this checkpoint was never committed (its write was"
                + " interrupted)" : "found neither"));
    }

    public static Result write(JavaSparkContext sc, Storage storage, Path checkpoint, Path out, Settings settings)
            throws IOException {
        long started = System.nanoTime();
        Source source = source(storage, checkpoint, settings.generator());
        byte[] graphBytes = storage.readBytes(source.graph());
        SameDiff graph = load(graphBytes);
        int latent = latentDim(graph, source.graph());
        int classCount = classCount(graph, latent);
        checkClasses(settings.classes(), classCount, checkpoint);
        List<KernelCase> kernels = NetworkKernels.exportedGenerator(name -> graph.hasVariable(name)
                ? graph.getVariable(name).getShape() : null, settings.batch());
        NativeSelfCheck.require(kernels); // the driver draws the interpolation strip
        storage.mkdirs(out);
        if (storage.exists(new Path(out, MANIFEST))) {
            storage.delete(new Path(out, MANIFEST)); // the directory is being rewritten: incomplete until the end
        }
        long written = writeImages(sc, storage, graphBytes, latent, classCount, source, out, settings, kernels);
        Path interpolation = settings.frames() > 0
                ? writeInterpolation(storage, graph, latent, classCount, source, out, settings) : null;
        double seconds = (System.nanoTime() - started) / 1e9;
        writeManifest(storage, checkpoint, source, out, settings, written, interpolation, classCount, seconds);
        LOG.info("sample: {} images from {} ({} generator, step {}) in {} s ({} images/s) to {}", written, checkpoint,
                source.generator(), source.step(), String.format(Locale.ROOT, "%.1f", seconds),
                String.format(Locale.ROOT, "%.0f", written / seconds), out);
        return new Result(out, written, interpolation, source.runId(), source.step(), source.generator(), seconds);
    }

    /**
     * The PNGs, generated and written by the executors: fixed batches over max(count, batch) slots,
     * whole batches per task. Returns how many were written.
     */
    private static long writeImages(JavaSparkContext sc, Storage storage, byte[] graphBytes, int latent,
                                    int classCount, Source source, Path out, Settings settings,
                                    List<KernelCase> kernels) {
        List<long[]> batches = DistributedFeatures.evenBatches(0, Math.max(settings.count(), settings.batch()),
                settings.batch());
        int tasks = Math.max(1, Math.min(batches.size(), sc.defaultParallelism()));
        Broadcast<byte[]> sharedGraph = sc.broadcast(graphBytes);
        Broadcast<Storage> sharedStorage = sc.broadcast(storage);
        String dir = out.toString();
        Map<String, String> marks = Png.syntheticMarks(source.runId(), source.step());
        try {
            sc.setJobDescription("sparkgan sample: " + settings.count() + " images from " + source.checkpoint());
            return sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks).map(t -> {
                Nd4jSetup.threads(settings.threads());
                GpuBinding.bindCurrentTask();
                NativeSelfCheck.require(kernels);
                SameDiff generator = load(sharedGraph.value());
                long count = 0;
                for (int b = t * batches.size() / tasks; b < (t + 1) * batches.size() / tasks; b++) {
                    long first = batches.get(b)[0];
                    int n = (int) (batches.get(b)[1] - first);
                    int[] labels = labels(first, n, settings.classes(), classCount);
                    INDArray images = generate(generator, Noise.sampleImages(settings.seed(), first, n, latent), n,
                            latent, labels);
                    count += writeBatch(sharedStorage.value(), dir, images, labels, first, n, marks, settings);
                }
                return count;
            }).reduce(Long::sum);
        } finally {
            sharedGraph.destroy(false);
            sharedStorage.destroy(false);
        }
    }

    /** One batch's images that fall below the requested count, one PNG each; returns how many. */
    private static long writeBatch(Storage fs, String dir, INDArray images, int[] labels, long first, int n,
                                   Map<String, String> marks, Settings settings) {
        float[] pixels = images.data().asFloat();
        int channels = (int) images.size(1);
        int size = (int) images.size(2);
        int perImage = channels * size * size;
        long count = 0;
        for (int i = 0; i < n && first + i < settings.count(); i++) {
            float[] one = Arrays.copyOfRange(pixels, i * perImage, (i + 1) * perImage);
            Map<String, String> text = new LinkedHashMap<>(marks);
            text.put("sparkgan:seed", Long.toString(settings.seed()));
            text.put("sparkgan:index", Long.toString(first + i));
            if (labels != null) {
                text.put("sparkgan:class", Integer.toString(labels[i]));
            }
            try {
                fs.writeAtomically(new Path(dir, fileName(first + i)), Png.encode(Png.image(one, channels, size), text));
            } catch (IOException e) {
                throw new EvaluationException("sample: cannot write " + fileName(first + i) + " in " + dir
                        + " (" + e + "); samples.json is not written, so the directory reads as"
                        + " incomplete: rerun the same command to rewrite it", e);
            }
            count++;
        }
        return count;
    }

    /** interpolation.png: a strip of frames along the slerp between the two seeds' latent vectors. */
    private static Path writeInterpolation(Storage storage, SameDiff generator, int latent, int classCount,
                                           Source source, Path out, Settings settings) throws IOException {
        Path interpolation = new Path(out, "interpolation.png");
        float[] z = interpolate(Noise.interpolationEndpoint(settings.from(), latent),
                Noise.interpolationEndpoint(settings.to(), latent), settings.frames());
        int[] labels = classCount == 0 ? null : new int[settings.frames()]; // the first class asked for, throughout
        if (labels != null) {
            java.util.Arrays.fill(labels, settings.classes() == null ? 0 : settings.classes()[0]);
        }
        INDArray frames = generate(generator, z, settings.frames(), latent, labels);
        float[] pixels = frames.data().asFloat();
        int channels = (int) frames.size(1);
        int size = (int) frames.size(2);
        Map<String, String> text = new LinkedHashMap<>(Png.syntheticMarks(source.runId(), source.step()));
        text.put("sparkgan:interpolation", "slerp from seed " + settings.from() + " to seed " + settings.to()
                + ", " + settings.frames() + " frames");
        storage.writeAtomically(interpolation, Png.encode(
                Png.grid(pixels, settings.frames(), channels, size, settings.frames()), text));
        return interpolation;
    }

    /** samples.json, written last: what the directory holds. */
    private static void writeManifest(Storage storage, Path checkpoint, Source source, Path out, Settings settings,
                                      long written, Path interpolation, int classCount, double seconds)
            throws IOException {
        ObjectNode manifest = Json.object();
        manifest.put("checkpoint", checkpoint.toString());
        manifest.put("run_id", source.runId());
        manifest.put("step", source.step());
        manifest.put("generator", source.generator());
        manifest.put("count", written);
        manifest.put("files", "sample-NNNNNNNN.png (image i from noise slot i of the seed)");
        manifest.put("seed", settings.seed());
        manifest.put("batch", settings.batch());
        if (classCount > 0) {
            var classes = manifest.putArray("classes"); // image i is of classes[i mod length]
            for (int c : settings.classes() == null ? java.util.stream.IntStream.range(0, classCount).toArray()
                    : settings.classes()) {
                classes.add(c);
            }
        }
        if (interpolation != null) {
            manifest.putObject("interpolation").put("file", interpolation.getName()).put("from_seed", settings.from())
                    .put("to_seed", settings.to()).put("frames", settings.frames()).put("method", "slerp");
        }
        manifest.put("synthetic", true);
        manifest.put("seconds", seconds);
        manifest.put("created_at", Instant.now().toString());
        storage.writeString(new Path(out, MANIFEST), Json.pretty(manifest));
    }

    static String fileName(long index) {
        return String.format(Locale.ROOT, "sample-%08d.png", index);
    }

    /**
     * Spherical interpolation (slerp) from a to b in {@code frames} steps, ends included: for Gaussian
     * latents it keeps the norm typical of z, where a straight line passes through the unlikely
     * region near the origin (White, "Sampling Generative Networks", 2016).
     */
    static float[] interpolate(float[] a, float[] b, int frames) {
        int d = a.length;
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < d; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        double omega = Math.acos(Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb))));
        float[] z = new float[frames * d];
        for (int f = 0; f < frames; f++) {
            double t = frames == 1 ? 0 : f / (double) (frames - 1);
            double wa;
            double wb;
            if (omega < 1e-6) {
                wa = 1 - t;  // (anti)parallel endpoints: slerp degenerates to the straight line
                wb = t;
            } else {
                wa = Math.sin((1 - t) * omega) / Math.sin(omega);
                wb = Math.sin(t * omega) / Math.sin(omega);
            }
            for (int i = 0; i < d; i++) {
                z[f * d + i] = (float) (wa * a[i] + wb * b[i]);
            }
        }
        return z;
    }

    private static Source source(Storage storage, Path checkpoint, String choice) throws IOException {
        JsonNode state = Checkpoint.stateJson(storage, checkpoint);
        // without a report that scores both, the raw generator: better than the EMA one at one epoch on every
        // seed measured, 0.14 FID behind it at three (docs/recipes.md, "Parity with PyTorch")
        boolean raw = choice.equals("raw") || choice.equals("better")
                && !"ema".equals(betterScored(storage, checkpoint, state.path("step").asLong()));
        Checkpoint.GeneratorGraph generator = Checkpoint.generatorGraph(storage, checkpoint, raw);
        if (!storage.exists(generator.graph())) {
            throw new EvaluationException(checkpoint + " has no " + generator.graph().getName()
                    + "; expected a checkpoint written by sparkgan train");
        }
        return new Source(checkpoint, generator.graph(), generator.kind(), state.path("run_id").asText(""),
                state.path("step").asLong());
    }

    /**
     * The generator ("ema" or "raw") with the lower FID at {@code step} in the run's fid/report.json
     * (the checkpoint's run is two directories up), or null when there is no report that scores both.
     */
    static String betterScored(Storage storage, Path checkpoint, long step) throws IOException {
        Path report = new Path(new Path(checkpoint.getParent().getParent(), "fid"), "report.json");
        if (!storage.exists(report)) {
            return null;
        }
        Map<String, Double> fids = new HashMap<>();
        try {
            for (JsonNode row : Json.parse(storage.readString(report)).path("checkpoints")) {
                if (row.path("step").asLong() == step && row.path("fid").isNumber()) {
                    fids.put(row.path("generator").asText(), row.path("fid").asDouble());
                }
            }
        } catch (RuntimeException e) {
            return null; // an unreadable report chooses nothing
        }
        if (!fids.containsKey("ema") || !fids.containsKey("raw")) {
            LOG.info("sample: {} does not score both generators at step {}; the raw one", report, step);
            return null;
        }
        String better = fids.get("raw") < fids.get("ema") ? "raw" : "ema";
        LOG.info("sample: the {} generator, which scored FID {} against the {} one's {} at step {} in {}", better,
                String.format(Locale.ROOT, "%.2f", fids.get(better)), better.equals("raw") ? "EMA" : "raw",
                String.format(Locale.ROOT, "%.2f", fids.get(better.equals("raw") ? "ema" : "raw")), step, report);
        return better;
    }

    private static SameDiff load(byte[] graph) {
        Nd4jSetup.quietLogs();
        try {
            return SameDiff.load(new ByteArrayInputStream(graph), false);
        } catch (RuntimeException e) {
            throw new EvaluationException("cannot load the generator graph: " + e.getMessage());
        }
    }

    private static int latentDim(SameDiff generator, Path graph) {
        long[] shape = generator.getVariable("z") == null ? null : generator.getVariable("z").getShape();
        if (shape == null || shape.length != 2 || shape[1] <= 0) {
            throw new EvaluationException(graph + ": expected a generator with a placeholder z of shape [n, latent]");
        }
        return (int) shape[1];
    }

    /** The classes of a conditional generator's graph, 0 for an unconditional one (no {@code labels} placeholder). */
    static int classCount(SameDiff generator, int latent) {
        if (generator.getVariable("labels") == null) {
            return 0;
        }
        return ExportedGenerators.classes(name -> generator.hasVariable(name)
                ? generator.getVariable(name).getShape() : null, latent);
    }

    private static void checkClasses(int[] classes, int classCount, Path checkpoint) {
        if (classes == null) {
            return;
        }
        if (classCount == 0) {
            throw new EvaluationException("--class: " + checkpoint + "'s generator is not conditional (its run had"
                    + " model.conditional = false); leave --class out");
        }
        for (int c : classes) {
            if (c < 0 || c >= classCount) {
                throw new EvaluationException("--class " + c + ": the generator knows classes 0 to " + (classCount - 1));
            }
        }
    }

    /** The classes of images [first, first + n): classes[i mod length], or i mod classCount; null if unconditional. */
    static int[] labels(long first, int n, int[] classes, int classCount) {
        if (classCount == 0) {
            return null;
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = classes == null ? (int) ((first + i) % classCount)
                    : classes[(int) ((first + i) % classes.length)];
        }
        return labels;
    }

    /** Images [n, channels, size, size] in [-1, 1], as float32; {@code labels} for a conditional generator. */
    private static INDArray generate(SameDiff generator, float[] z, int n, int latent, int[] labels) {
        INDArray input = Nd4j.create(z, new long[] {n, latent}, DataType.FLOAT);
        Map<String, INDArray> placeholders = labels == null ? Map.of("z", input)
                : Map.of("z", input, "labels", Nd4j.createFromArray(labels));
        return generator.output(placeholders, "images").get("images").castTo(DataType.FLOAT).dup('c');
    }
}

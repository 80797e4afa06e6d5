package io.sparkgan.eval;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.io.Json;
import io.sparkgan.io.Png;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.networks.ExportedGenerators;
import io.sparkgan.model.networks.StyleGan2;
import io.sparkgan.model.networks.NetworkKernels;
import io.sparkgan.model.KernelCase;
import io.sparkgan.model.Noise;
import io.sparkgan.runtime.GpuBinding;
import io.sparkgan.runtime.NativeSelfCheck;
import io.sparkgan.runtime.Nd4jSetup;
import io.sparkgan.train.Checkpoint;
import java.io.IOException;
import java.io.Serializable;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
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
     * @param style truncation, style mixing and noise of a style-based generator ({@link SampleStyle#NONE}
     *     for the others, which refuse anything else)
     */
    public record Settings(long count, long seed, int batch, String generator, long from, long to, int frames,
                           int threads, int[] classes, SampleStyle style) implements Serializable {
        /** Settings for a generator without a mapping network. */
        public Settings(long count, long seed, int batch, String generator, long from, long to, int frames,
                        int threads, int[] classes) {
            this(count, seed, batch, generator, from, to, frames, threads, classes, SampleStyle.NONE);
        }
    }

    /** What was written. */
    public record Result(Path out, long images, Path interpolation, String runId, long step, String generator,
                         double seconds) {}


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
        SampleCheckpoint source = SampleCheckpoint.of(storage, checkpoint, settings.generator());
        byte[] graphBytes = storage.readBytes(source.graph());
        SameDiff graph = SampleGenerator.load(graphBytes);
        if (graph.hasVariable("inputs")) {
            throw new EvaluationException("--checkpoint " + checkpoint + ": its generator translates an image to an"
                    + " image (model.architecture = pix2pix) and draws nothing from noise; map a folder with sparkgan"
                    + " translate --checkpoint " + checkpoint + " --in DIR --out DIR");
        }
        int latent = latentDim(graph, source.graph());
        int classCount = classCount(graph, latent);
        checkClasses(settings.classes(), classCount, checkpoint);
        Function<String, long[]> shapes = name -> graph.hasVariable(name) ? graph.getVariable(name).getShape() : null;
        List<KernelCase> kernels = NetworkKernels.exportedGenerator(shapes, settings.batch());
        SampleGenerator generator = generator(storage, checkpoint, source, graphBytes, shapes, settings);
        NativeSelfCheck.require(kernels); // the driver draws the interpolation strip
        storage.mkdirs(out);
        if (storage.exists(new Path(out, MANIFEST))) {
            storage.delete(new Path(out, MANIFEST)); // the directory is being rewritten: incomplete until the end
        }
        long written = writeImages(sc, storage, generator, latent, classCount, source, out, settings, kernels);
        Path interpolation = settings.frames() > 0
                ? writeInterpolation(storage, generator, latent, classCount, source, out, settings) : null;
        double seconds = (System.nanoTime() - started) / 1e9;
        writeManifest(storage, checkpoint, source, out, settings, written, interpolation, classCount, seconds,
                generator instanceof SampleGenerator.Style);
        LOG.info("sample: {} images from {} ({} generator, step {}) in {} s ({} images/s) to {}", written, checkpoint,
                source.generator(), source.step(), String.format(Locale.ROOT, "%.1f", seconds),
                String.format(Locale.ROOT, "%.0f", written / seconds), out);
        return new Result(out, written, interpolation, source.runId(), source.step(), source.generator(), seconds);
    }

    /**
     * The exported graph, or for a style-based generator (whose graph keeps w̄) its parameters through the
     * training pass with the styling asked for; a generator without a mapping network refuses styling.
     */
    private static SampleGenerator generator(Storage storage, Path checkpoint, SampleCheckpoint source, byte[] graphBytes,
                                             Function<String, long[]> shapes, Settings settings) throws IOException {
        if (!ExportedGenerators.isStyleGan2(shapes)) {
            if (settings.style().any()) {
                throw new EvaluationException("--truncation, --mix-seed, --crossover and --noise-mode: " + checkpoint
                        + "'s generator has no mapping network or noise inputs (its run's model.architecture is not"
                        + " stylegan2); leave them out");
            }
            return SampleGenerator.graph(graphBytes);
        }
        GanArchitecture architecture = ExportedGenerators.architecture(shapes);
        int styles = StyleGan2.styleInputs(architecture);
        if (settings.style().mixSeed() != null && (settings.style().crossover() < 0
                || settings.style().crossover() > styles)) {
            throw new EvaluationException("--crossover " + settings.style().crossover() + ": the generator has "
                    + styles + " style inputs (two per resolution from 4×4), so K is 0 (all from --mix-seed) to "
                    + styles + " (all from --seed)");
        }
        for (Checkpoint.GeneratorParams p : Checkpoint.generatorParams(storage, checkpoint, true)) {
            if (p.kind().equals(source.generator())) {
                return SampleGenerator.style(architecture, p.params(), settings.style(), settings.seed());
            }
        }
        throw new EvaluationException(checkpoint + " has no " + source.generator() + " generator parameters");
    }

    /**
     * The PNGs, generated and written by the executors: fixed batches over max(count, batch) slots,
     * whole batches per task. Returns how many were written.
     */
    private static long writeImages(JavaSparkContext sc, Storage storage, SampleGenerator generator, int latent,
                                    int classCount, SampleCheckpoint source, Path out, Settings settings,
                                    List<KernelCase> kernels) {
        List<long[]> batches = DistributedFeatures.evenBatches(0, Math.max(settings.count(), settings.batch()),
                settings.batch());
        int tasks = Math.max(1, Math.min(batches.size(), sc.defaultParallelism()));
        Broadcast<SampleGenerator> sharedGenerator = sc.broadcast(generator);
        Broadcast<Storage> sharedStorage = sc.broadcast(storage);
        String dir = out.toString();
        Map<String, String> marks = new LinkedHashMap<>(Png.syntheticMarks(source.runId(), source.step()));
        if (generator instanceof SampleGenerator.Style) { // ψ, the mixing and the noise mode, in every PNG
            settings.style().describe().forEach((k, v) -> marks.put("sparkgan:" + k, v));
        }
        try {
            sc.setJobDescription("sparkgan sample: " + settings.count() + " images from " + source.checkpoint());
            return sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks).map(t -> {
                Nd4jSetup.threads(settings.threads());
                GpuBinding.bindCurrentTask();
                NativeSelfCheck.require(kernels);
                SampleGenerator shared = sharedGenerator.value();
                long count = 0;
                for (int b = t * batches.size() / tasks; b < (t + 1) * batches.size() / tasks; b++) {
                    long first = batches.get(b)[0];
                    int n = (int) (batches.get(b)[1] - first);
                    int[] labels = labels(first, n, settings.classes(), classCount);
                    INDArray images = shared.generate(Noise.sampleImages(settings.seed(), first, n, latent), n,
                            latent, labels, first);
                    count += writeBatch(sharedStorage.value(), dir, images, labels, first, n, marks, settings);
                }
                return count;
            }).reduce(Long::sum);
        } finally {
            sharedGenerator.destroy(false);
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
    private static Path writeInterpolation(Storage storage, SampleGenerator generator, int latent, int classCount,
                                           SampleCheckpoint source, Path out, Settings settings) throws IOException {
        Path interpolation = new Path(out, "interpolation.png");
        float[] z = interpolate(Noise.interpolationEndpoint(settings.from(), latent),
                Noise.interpolationEndpoint(settings.to(), latent), settings.frames());
        int[] labels = classCount == 0 ? null : new int[settings.frames()]; // the first class asked for, throughout
        if (labels != null) {
            java.util.Arrays.fill(labels, settings.classes() == null ? 0 : settings.classes()[0]);
        }
        INDArray frames = generator.generate(z, settings.frames(), latent, labels, 0);
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
    private static void writeManifest(Storage storage, Path checkpoint, SampleCheckpoint source, Path out, Settings settings,
                                      long written, Path interpolation, int classCount, double seconds,
                                      boolean styled) throws IOException {
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
        if (styled) {
            ObjectNode style = manifest.putObject("style");
            style.put("noise_mode", settings.style().noise().key()).put("truncation", settings.style().truncation());
            if (settings.style().mixSeed() != null) {
                style.put("mix_seed", settings.style().mixSeed()).put("crossover", settings.style().crossover());
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
}

package io.sparkgan.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.config.TrainConfig;
import io.sparkgan.data.Hashes;
import io.sparkgan.distributed.FaultHooks;
import io.sparkgan.io.DirectoryLease;
import io.sparkgan.io.Json;
import io.sparkgan.io.Npy;
import io.sparkgan.io.NpyArray;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.model.GanReplica;
import io.sparkgan.model.GraphExport;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.SpectralNorm;
import io.sparkgan.step.GanState;
import io.sparkgan.step.Optimiser;
import io.sparkgan.step.TrainingException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A checkpoint directory, {@code <run>/checkpoints/step-NNNNNNNN/}: the only code that names its
 * files. Every file is written first, the {@code _COMMITTED} marker last; a checkpoint without the
 * marker is incomplete and every reader ignores it. This holds on S3 too, where a directory cannot
 * be renamed atomically.
 * <pre>
 *   generator.sdz        G as a SameDiff graph (SameDiff.load; placeholder "z", output "images")
 *   generator-ema.sdz    the EMA generator, when enabled
 *   discriminator.sdz    D as a SameDiff graph (placeholder "images", output "logits")
 *   params.npz           flat float32 vectors: generator, discriminator[, generator_ema]
 *                        [, discriminator_spectral_norm: power-iteration vectors, model.spectral-norm]
 *   optimiser.npz        each network's optimiser state: generator_m, generator_v, generator_t, ...
 *   state.json           step, seed, params_sha256, EMA updates, the guard's count of skipped steps,
 *                        and provenance: run id, config, dataset, code version, executor threads
 *   _COMMITTED           written last
 * </pre>
 * With the data order and the noise both keyed by step, what a checkpoint holds is everything a
 * resumed run needs to continue exactly as the uninterrupted run would have.
 */
public final class Checkpoint {
    public static final String COMMIT_MARKER = "_COMMITTED";
    private static final String GENERATOR_GRAPH = "generator.sdz";
    private static final String EMA_GENERATOR_GRAPH = "generator-ema.sdz";
    private static final String DISCRIMINATOR_GRAPH = "discriminator.sdz";
    private static final String PARAMS = "params.npz";
    private static final String OPTIMISER = "optimiser.npz";
    /** In params.npz: D's spectral-norm vectors, u of every weight matrix then v of every one. */
    private static final String SPECTRAL_NORM = "discriminator_spectral_norm";
    private static final String STATE = "state.json";

    /**
     * Where a checkpoint's weights came from, recorded in every checkpoint.
     *
     * @param configSha256 SHA-256 of the run's resolved configuration (run.conf)
     * @param datasetSha256 the prepared dataset's content hash (empty when trained on arrays in memory)
     * @param executorThreads native threads each task's kernels ran with: part of what fixes the bits
     */
    /**
     * What a checkpoint records about the run that wrote it.
     *
     * @param normalisation the networks' normalisation settings ({@link RunProvenance#normalisation}):
     *     settings that keep the parameter count but change what the parameters mean
     * @param direction a translation's data.direction (which half of a pair G maps from), empty for a
     *     GAN from noise: what {@code translate} feeds the generator by default, and a resume keeps
     */
    public record Provenance(String runId, long seed, String configSha256, String datasetSha256,
                             String sparkganVersion, int executorThreads, String normalisation, String direction,
                             List<Map<String, Object>> jvms) {
        /** The same, with the JVMs that ran this checkpoint's steps ({@code runtime.JvmPlatforms} entries). */
        public Provenance withJvms(List<Map<String, Object>> ran) {
            return new Provenance(runId, seed, configSha256, datasetSha256, sparkganVersion, executorThreads,
                    normalisation, direction, List.copyOf(ran));
        }
    }

    /** A checkpoint's generator: its exported graph, and which of the two it is ("ema" or "raw"). */
    public record GeneratorGraph(Path graph, String kind) {}

    /** A checkpoint's generator weights ("ema" or "raw"). */
    public record GeneratorParams(float[] params, String kind) {}

    private Checkpoint() {
    }

    /** Steps of the run's committed checkpoints, oldest first. */
    public static List<Long> committed(Storage storage, RunDirectory run) throws IOException {
        List<Long> steps = new ArrayList<>();
        if (!storage.exists(run.checkpoints())) {
            return steps;
        }
        DirectoryLease.Commits counted = DirectoryLease.Commits.of(storage, run.root());
        for (FileStatus status : storage.list(run.checkpoints())) {
            Path marker = new Path(status.getPath(), COMMIT_MARKER);
            if (status.isDirectory() && RunDirectory.isStepName(status.getPath().getName()) && storage.exists(marker)) {
                long step = RunDirectory.stepOf(status.getPath().getName());
                if (counted.counts(step, generationOf(storage.readString(marker)))) {
                    steps.add(step);
                }
            }
        }
        Collections.sort(steps);
        return steps;
    }

    /** The lease generation a commit marker names ("generation N" on its second line); 0 before leases. */
    private static long generationOf(String marker) {
        for (String line : marker.split("\n")) {
            if (line.startsWith("generation ")) {
                return Long.parseLong(line.substring("generation ".length()).strip());
            }
        }
        return 0;
    }

    public static boolean isCommitted(Storage storage, Path dir) throws IOException {
        return storage.exists(new Path(dir, COMMIT_MARKER));
    }

    /** Deletes a checkpoint, its marker first: one cut short is uncommitted, never committed and partial. */
    static void delete(Storage storage, Path dir) throws IOException {
        if (isCommitted(storage, dir)) {
            storage.delete(new Path(dir, COMMIT_MARKER));
        }
        storage.delete(dir);
    }

    /**
     * Writes and commits the checkpoint of {@code state} (its step); returns its directory. Under a
     * lease (null: none), the commit checks it first and names its generation.
     */
    public static Path write(Storage storage, RunDirectory run, GanState state, GanReplica exporter, Provenance provenance,
                             DirectoryLease lease) throws IOException {
        Path dir = run.checkpoint(state.step());
        if (storage.exists(dir)) {
            storage.delete(dir); // an uncommitted leftover of an interrupted earlier attempt
        }
        storage.mkdirs(dir);
        writeGraph(storage, file(dir, GENERATOR_GRAPH),
                GraphExport.generator(exporter, Nd4j.createFromArray(state.generator())));
        if (state.generatorEma() != null) {
            writeGraph(storage, file(dir, EMA_GENERATOR_GRAPH),
                    GraphExport.generator(exporter, Nd4j.createFromArray(state.generatorEma().average())));
        }
        writeGraph(storage, file(dir, DISCRIMINATOR_GRAPH), // the weights D runs with (normalised, with SN)
                GraphExport.discriminator(exporter, Nd4j.createFromArray(state.discriminatorInUse())));

        Map<String, NpyArray> params = new LinkedHashMap<>();
        params.put("generator", NpyArray.ofFloats(state.generator()));
        params.put("discriminator", NpyArray.ofFloats(state.discriminator()));
        if (state.generatorEma() != null) {
            params.put("generator_ema", NpyArray.ofFloats(state.generatorEma().average()));
        }
        if (state.spectralNorm() != null) {
            params.put(SPECTRAL_NORM, NpyArray.ofFloats(state.spectralNorm().vectors()));
        }
        storage.writeAtomically(file(dir, PARAMS), Npy.npzBytes(params));

        Map<String, NpyArray> optimiser = new LinkedHashMap<>();
        state.generatorOptimiser().state().forEach((name, array) -> optimiser.put("generator_" + name, array));
        state.discriminatorOptimiser().state().forEach((name, array) -> optimiser.put("discriminator_" + name, array));
        storage.writeAtomically(file(dir, OPTIMISER), Npy.npzBytes(optimiser));

        storage.writeString(file(dir, STATE), Json.pretty(stateJson(state, provenance)));
        if (lease != null) {
            lease.check();
        }
        storage.writeString(file(dir, COMMIT_MARKER), state.step() + "\n"
                + (lease == null ? "" : "generation " + lease.generation() + "\n"));
        return dir;
    }

    private static ObjectNode stateJson(GanState state, Provenance provenance) {
        ObjectNode json = Json.object();
        json.put("step", state.step());
        json.put("run_id", provenance.runId());
        json.put("seed", provenance.seed());
        ObjectNode hashes = json.putObject("params_sha256");
        hashes.put("generator", paramsSha256(state.generator()));
        hashes.put("discriminator", paramsSha256(state.discriminator()));
        if (state.spectralNorm() != null) {
            hashes.put(SPECTRAL_NORM, paramsSha256(state.spectralNorm().vectors()));
        }
        if (state.generatorEma() != null) {
            hashes.put("generator_ema", paramsSha256(state.generatorEma().average()));
            json.put("ema_updates", state.generatorEma().updates());
        }
        json.putObject("guard").put("consecutive_skipped_steps", state.guard().consecutiveSkippedSteps())
                .put("last_skipped_step", state.guard().lastSkippedStep());
        json.put("config_sha256", provenance.configSha256());
        json.put("dataset_sha256", provenance.datasetSha256());
        json.put("sparkgan_version", provenance.sparkganVersion());
        json.put("executor_threads", provenance.executorThreads());
        json.put("normalisation", provenance.normalisation());
        if (!provenance.direction().isEmpty()) {
            json.put("direction", provenance.direction());
        }
        // the machines whose kernels computed the steps since the last checkpoint: CPU, OpenBLAS core, self-check
        json.set("jvms", Json.mapper().valueToTree(provenance.jvms()));
        json.put("created_at", Instant.now().toString());
        return json;
    }

    /**
     * Reads a committed checkpoint back into the training state: parameters, both optimisers, the
     * EMA, the guard's counts and the step. A checkpoint written before the guard's counts were
     * recorded resumes with none skipped.
     */
    static GanState read(Storage storage, RunDirectory run, long step, TrainConfig train) throws IOException {
        return read(storage, run, step, train, null);
    }

    /**
     * As {@link #read(Storage, RunDirectory, long, TrainConfig)}, for a run whose D is spectrally
     * normalised when {@code spectralNorm} is not null (its vectors are restored from the checkpoint).
     */
    static GanState read(Storage storage, RunDirectory run, long step, TrainConfig train, SpectralNorm spectralNorm)
            throws IOException {
        return read(storage, run, step, train, spectralNorm, null);
    }

    /** As above, for a G laid out as {@code generatorLayout} whose buffers the step keeps apart (GanState). */
    static GanState read(Storage storage, RunDirectory run, long step, TrainConfig train, SpectralNorm spectralNorm,
                         ParamLayout generatorLayout) throws IOException {
        Path dir = run.checkpoint(step);
        Map<String, NpyArray> params = npz(storage, new Path(dir, PARAMS));
        Map<String, NpyArray> optimiser = npz(storage, new Path(dir, OPTIMISER));
        JsonNode json = Json.parse(storage.readString(new Path(dir, STATE)));
        if (json.path("step").asLong() != step) {
            throw new TrainingException(dir + "/" + STATE + " says step " + json.path("step") + ", not " + step, step);
        }
        float[] discriminator = array(params, "discriminator", dir).asFloats();
        if (spectralNorm != null && discriminator.length != spectralNorm.parameterCount()) {
            throw new TrainingException("cannot resume " + run.root() + ": its checkpoint at step " + step + " holds "
                    + discriminator.length + " D parameters, the model configured now has "
                    + spectralNorm.parameterCount() + "; resume with the run's own settings (its run.conf) or start"
                    + " over with --fresh", step);
        }
        GanState state = new GanState(array(params, "generator", dir).asFloats(), discriminator, train, spectralNorm,
                generatorLayout);
        check(state.generator(), json.path("params_sha256").path("generator").asText(), "generator", dir, step);
        check(state.discriminator(), json.path("params_sha256").path("discriminator").asText(), "discriminator",
                dir, step);
        restore(state.generatorOptimiser(), optimiser, "generator_", dir);
        restore(state.discriminatorOptimiser(), optimiser, "discriminator_", dir);
        if (state.generatorEma() != null) {
            NpyArray ema = params.get("generator_ema");
            if (ema == null) {
                throw new TrainingException(dir + " has no EMA generator but train.ema-half-life > 0; resume with the"
                        + " settings the run started with (see its run.conf)", step);
            }
            state.generatorEma().restore(ema.asFloats(), json.path("ema_updates").asLong());
        }
        NpyArray vectors = params.get(SPECTRAL_NORM);
        if ((vectors != null) != (spectralNorm != null)) {
            throw new TrainingException(dir + (vectors == null ? " has no spectral-norm vectors but model.spectral-norm"
                    + " = true" : " was trained with model.spectral-norm = true, which is off now") + "; resume with the"
                    + " settings the run started with (see its run.conf)", step);
        }
        if (vectors != null) {
            check(vectors.asFloats(), json.path("params_sha256").path(SPECTRAL_NORM).asText(), SPECTRAL_NORM, dir,
                    step);
            state.restoreSpectralNorm(vectors.asFloats());
        }
        JsonNode guard = json.path("guard");
        state.guard().restore(guard.path("consecutive_skipped_steps").asInt(0),
                guard.path("last_skipped_step").asLong(-1));
        state.setStep(step);
        return state;
    }

    /** The generator to sample from: the EMA one when the checkpoint has it, unless {@code raw}. */
    public static GeneratorGraph generatorGraph(Storage storage, Path dir, boolean raw) throws IOException {
        Path ema = new Path(dir, EMA_GENERATOR_GRAPH);
        boolean useEma = !raw && storage.exists(ema);
        return new GeneratorGraph(useEma ? ema : new Path(dir, GENERATOR_GRAPH), useEma ? "ema" : "raw");
    }

    /**
     * The generator weights to score: the EMA ones when the checkpoint has them, then the raw ones
     * (always when it has no EMA, and with {@code raw} also next to it).
     */
    public static List<GeneratorParams> generatorParams(Storage storage, Path dir, boolean raw) throws IOException {
        Path file = new Path(dir, PARAMS);
        Map<String, NpyArray> arrays = npz(storage, file);
        List<GeneratorParams> out = new ArrayList<>();
        NpyArray ema = arrays.get("generator_ema");
        if (ema != null) {
            out.add(new GeneratorParams(ema.asFloats(), "ema"));
        }
        if (ema == null || raw) {
            NpyArray weights = arrays.get("generator");
            if (weights == null) {
                throw new IOException(file + " has no generator array (it has " + arrays.keySet()
                        + "); the checkpoint is damaged");
            }
            out.add(new GeneratorParams(weights.asFloats(), "raw"));
        }
        return out;
    }

    /** The checkpoint's {@code state.json}: step, run id, hashes, provenance. */
    public static JsonNode stateJson(Storage storage, Path dir) throws IOException {
        return Json.parse(storage.readString(new Path(dir, STATE)));
    }

    /** SHA-256 of a parameter vector as float32 little-endian bytes: the identity of a model's weights. */
    public static String paramsSha256(float[] params) {
        ByteBuffer bytes = ByteBuffer.allocate(params.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(params);
        return HexFormat.of().formatHex(Hashes.sha256().digest(bytes.array()));
    }

    private static void restore(Optimiser optimiser, Map<String, NpyArray> arrays, String prefix, Path dir) {
        Map<String, NpyArray> state = new LinkedHashMap<>();
        arrays.forEach((name, array) -> {
            if (name.startsWith(prefix)) {
                state.put(name.substring(prefix.length()), array);
            }
        });
        try {
            optimiser.restore(state);
        } catch (IllegalArgumentException e) {
            throw new TrainingException(dir + "/" + OPTIMISER + ": " + e.getMessage() + "; the checkpoint is damaged"
                    + " or was written with other settings (see the run's run.conf)", 0);
        }
    }

    private static Path file(Path dir, String name) throws IOException {
        Path path = new Path(dir, name);
        FaultHooks.beforeCheckpointWrite(path);
        return path;
    }

    private static void writeGraph(Storage storage, Path path, SameDiff graph) throws IOException {
        storage.writeAtomically(path, out -> graph.save(out, false));
    }

    private static Map<String, NpyArray> npz(Storage storage, Path path) throws IOException {
        return Npy.readNpz(new ByteArrayInputStream(storage.readBytes(path)));
    }

    private static NpyArray array(Map<String, NpyArray> arrays, String name, Path dir) {
        NpyArray a = arrays.get(name);
        if (a == null) {
            throw new TrainingException(dir + " lacks " + name + "; the checkpoint is damaged", 0);
        }
        return a;
    }

    private static void check(float[] params, String expected, String network, Path dir, long step) {
        String actual = paramsSha256(params);
        if (!actual.equals(expected)) {
            throw new TrainingException(dir + ": the " + network + " parameters do not match " + STATE + "'s"
                    + " params_sha256 (" + actual + " vs " + expected + "); the checkpoint is damaged", step);
        }
    }
}

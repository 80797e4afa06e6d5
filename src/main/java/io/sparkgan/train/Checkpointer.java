package io.sparkgan.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.io.Json;
import io.sparkgan.io.Npy;
import io.sparkgan.io.NpyArray;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import io.sparkgan.model.GanReplica;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Writes checkpoints: every file first, then the {@code _COMMITTED} marker. A checkpoint without the
 * marker is incomplete and every reader ignores it; this holds on S3 too, where a directory cannot be
 * renamed atomically.
 * <pre>
 *   generator.sdz        G as a SameDiff graph (SameDiff.load; placeholder "z", output "images")
 *   generator-ema.sdz    the EMA generator, when enabled
 *   discriminator.sdz    D as a SameDiff graph (placeholder "images", output "logits")
 *   params.npz           flat float32 vectors: generator, discriminator[, generator_ema]
 *   optimiser.npz        Adam moments and step counts of G and D
 *   state.json           step, seed, params_sha256 of G and D, EMA updates
 *   _COMMITTED           written last
 * </pre>
 */
final class Checkpointer {
    private final Storage storage;
    private final RunDirectory run;
    private final GanReplica exporter;
    private final long seed;
    private final String runId;

    Checkpointer(Storage storage, RunDirectory run, GanReplica exporter, long seed, String runId) {
        this.storage = storage;
        this.run = run;
        this.exporter = exporter;
        this.seed = seed;
        this.runId = runId;
    }

    /** Writes the checkpoint for {@code state.step} completed steps; returns its directory. */
    Path write(GanState state) throws IOException {
        Path dir = run.checkpoint(state.step);
        if (storage.exists(dir)) {
            storage.delete(dir); // an uncommitted leftover of an interrupted earlier attempt
        }
        storage.mkdirs(dir);
        writeGraph(file(dir, "generator.sdz"), exporter.exportGenerator(Nd4j.createFromArray(state.generator)));
        if (state.generatorEma != null) {
            writeGraph(file(dir, "generator-ema.sdz"),
                    exporter.exportGenerator(Nd4j.createFromArray(state.generatorEma.average())));
        }
        writeGraph(file(dir, "discriminator.sdz"),
                exporter.exportDiscriminator(Nd4j.createFromArray(state.discriminator)));

        Map<String, NpyArray> params = new LinkedHashMap<>();
        params.put("generator", NpyArray.ofFloats(state.generator));
        params.put("discriminator", NpyArray.ofFloats(state.discriminator));
        if (state.generatorEma != null) {
            params.put("generator_ema", NpyArray.ofFloats(state.generatorEma.average()));
        }
        storage.writeAtomically(file(dir, "params.npz"), Npy.npzBytes(params));

        Map<String, NpyArray> optimiser = new LinkedHashMap<>();
        optimiser.put("generator_m", NpyArray.ofFloats(state.generatorOptimiser.firstMoment()));
        optimiser.put("generator_v", NpyArray.ofFloats(state.generatorOptimiser.secondMoment()));
        optimiser.put("generator_t", NpyArray.ofLongs(new long[] {state.generatorOptimiser.steps()}));
        optimiser.put("discriminator_m", NpyArray.ofFloats(state.discriminatorOptimiser.firstMoment()));
        optimiser.put("discriminator_v", NpyArray.ofFloats(state.discriminatorOptimiser.secondMoment()));
        optimiser.put("discriminator_t", NpyArray.ofLongs(new long[] {state.discriminatorOptimiser.steps()}));
        storage.writeAtomically(file(dir, "optimiser.npz"), Npy.npzBytes(optimiser));

        ObjectNode json = Json.object();
        json.put("step", state.step);
        json.put("run_id", runId);
        json.put("seed", seed);
        ObjectNode hashes = json.putObject("params_sha256");
        hashes.put("generator", paramsSha256(state.generator));
        hashes.put("discriminator", paramsSha256(state.discriminator));
        if (state.generatorEma != null) {
            hashes.put("generator_ema", paramsSha256(state.generatorEma.average()));
            json.put("ema_updates", state.generatorEma.updates());
        }
        json.put("created_at", Instant.now().toString());
        storage.writeString(file(dir, "state.json"), Json.pretty(json));

        storage.writeString(file(dir, RunDirectory.COMMIT_MARKER), state.step + "\n");
        return dir;
    }

    private static Path file(Path dir, String name) throws IOException {
        Path path = new Path(dir, name);
        FaultHooks.beforeCheckpointWrite(path);
        return path;
    }

    private void writeGraph(Path path, SameDiff graph) throws IOException {
        storage.writeAtomically(path, out -> graph.save(out, false));
    }

    /** SHA-256 of a parameter vector as float32 little-endian bytes: the identity of a model's weights. */
    static String paramsSha256(float[] params) {
        ByteBuffer bytes = ByteBuffer.allocate(params.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(params);
        return HexFormat.of().formatHex(io.sparkgan.data.Hashes.sha256().digest(bytes.array()));
    }
}

package io.sparkgan.train;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.config.TrainConfig;
import io.sparkgan.io.Json;
import io.sparkgan.io.Npy;
import io.sparkgan.io.NpyArray;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;
import org.apache.hadoop.fs.Path;

/**
 * Reads a committed checkpoint back into a {@link GanState}: parameters, both optimisers, the EMA
 * and the step counter. With the data order and the noise both keyed by step, that is everything a
 * resumed run needs to continue exactly as the uninterrupted run would have.
 */
final class CheckpointReader {
    private CheckpointReader() {
    }

    static GanState read(Storage storage, RunDirectory run, long step, TrainConfig train) throws IOException {
        Path dir = run.checkpoint(step);
        Map<String, NpyArray> params = npz(storage, new Path(dir, "params.npz"));
        Map<String, NpyArray> optimiser = npz(storage, new Path(dir, "optimiser.npz"));
        JsonNode json = Json.parse(storage.readString(new Path(dir, "state.json")));
        if (json.path("step").asLong() != step) {
            throw new TrainingException(dir + "/state.json says step " + json.path("step") + ", not " + step, step);
        }
        GanState state = new GanState(array(params, "generator", dir).asFloats(),
                array(params, "discriminator", dir).asFloats(), train);
        check(state.generator, json.path("params_sha256").path("generator").asText(), "generator", dir, step);
        check(state.discriminator, json.path("params_sha256").path("discriminator").asText(), "discriminator", dir, step);
        state.generatorOptimiser.restore(array(optimiser, "generator_m", dir).asFloats(),
                array(optimiser, "generator_v", dir).asFloats(), array(optimiser, "generator_t", dir).asLongs()[0]);
        state.discriminatorOptimiser.restore(array(optimiser, "discriminator_m", dir).asFloats(),
                array(optimiser, "discriminator_v", dir).asFloats(),
                array(optimiser, "discriminator_t", dir).asLongs()[0]);
        if (state.generatorEma != null) {
            NpyArray ema = params.get("generator_ema");
            if (ema == null) {
                throw new TrainingException(dir + " has no EMA generator but train.ema-decay > 0; resume with the"
                        + " settings the run started with (see its run.conf)", step);
            }
            state.generatorEma.restore(ema.asFloats(), json.path("ema_updates").asLong());
        }
        state.step = step;
        return state;
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
        String actual = Checkpointer.paramsSha256(params);
        if (!actual.equals(expected)) {
            throw new TrainingException(dir + ": the " + network + " parameters do not match state.json's"
                    + " params_sha256 (" + actual + " vs " + expected + "); the checkpoint is damaged", step);
        }
    }
}

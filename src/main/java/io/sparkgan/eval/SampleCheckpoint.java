package io.sparkgan.eval;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import io.sparkgan.train.Checkpoint;
import java.io.IOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which of a checkpoint's generators {@code sample} draws from (better, ema or raw), its exported graph,
 * and the provenance its images carry.
 */
record SampleCheckpoint(Path checkpoint, Path graph, String generator, String runId, long step) {
    private static final Logger LOG = LoggerFactory.getLogger(SampleCheckpoint.class);

    static SampleCheckpoint of(Storage storage, Path checkpoint, String choice) throws IOException {
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
        return new SampleCheckpoint(checkpoint, generator.graph(), generator.kind(), state.path("run_id").asText(""),
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
}

package io.sparkgan.eval;

import io.sparkgan.config.FidConfig;
import java.util.List;
import java.util.Map;

/**
 * One score of a checkpoint's generated images against the real data, computed on the driver from
 * the feature summaries the executors folded. Metrics are registered by name in
 * {@link CheckpointMetrics} (as stylegan3's {@code metric_main} registers its metrics): a new one is
 * one implementation and one line there, and its values reach {@code report.json} under its keys.
 */
interface CheckpointMetric {
    /** What a metric scores: the generated images' features, the real data's, and the settings. */
    record Inputs(FeatureSummary generated, RealStatistics.Reference real, FidConfig fid, long seed) {}

    /** The report keys of this metric's values, e.g. {@code kid_mean} and {@code kid_std}. */
    List<String> keys();

    /** The values under {@link #keys}; NaN where the metric does not apply (no class predictions). */
    Map<String, Double> score(Inputs inputs);
}

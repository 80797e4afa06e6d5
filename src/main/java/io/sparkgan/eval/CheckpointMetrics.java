package io.sparkgan.eval;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** The metrics the FID stage computes for every checkpoint, by name, in report order. */
final class CheckpointMetrics {
    /** Fréchet Inception Distance (Heusel et al., 2017): see {@link FrechetDistance}. */
    private static final CheckpointMetric FID = simple(List.of("fid"), in -> Map.of("fid",
            FrechetDistance.of(in.real().mu(), in.real().sigma(), in.real().factor(), in.generated().stats.mean(),
                    in.generated().stats.covariance(), in.real().dimension())));

    /** Kernel Inception Distance (Bińkowski et al., 2018): see {@link KernelDistance}. */
    private static final CheckpointMetric KID = simple(List.of("kid_mean", "kid_std"), in -> {
        KernelDistance.Result kid = KernelDistance.of(in.real().kidFeatures(), in.generated().kidFeatures(),
                in.fid().kidSubsets(), in.fid().kidSubsetSize(), in.seed());
        return Map.of("kid_mean", kid.mean(), "kid_std", kid.std());
    });

    /** Class coverage and KL to the real class histogram, from the evaluator's predictions: see {@link ModeCoverage}. */
    private static final CheckpointMetric MODE_COVERAGE = simple(List.of("mode_coverage", "class_kl_to_real"), in -> {
        if (in.generated().classCounts.length == 0) {
            return Map.of("mode_coverage", Double.NaN, "class_kl_to_real", Double.NaN);
        }
        ModeCoverage.Result modes = ModeCoverage.of(in.generated().classCounts, in.real().classCounts());
        return Map.of("mode_coverage", modes.coverage(), "class_kl_to_real", modes.kl());
    });

    /**
     * Inception Score on the extractor's class probabilities (the evaluator's, or InceptionV3's classifier
     * when the model has it): see {@link InceptionScore}. NaN, and left out of the report, without them.
     */
    private static final CheckpointMetric INCEPTION_SCORE = simple(List.of("is_mean", "is_std"), in -> {
        if (in.generated().inceptionScore == null) {
            return Map.of("is_mean", Double.NaN, "is_std", Double.NaN);
        }
        InceptionScore.Result is = in.generated().inceptionScore.score();
        return Map.of("is_mean", is.mean(), "is_std", is.std());
    });

    /** Improved precision and recall on the KID feature rows: see {@link PrecisionRecall}. */
    private static final CheckpointMetric PRECISION_RECALL = simple(List.of("precision", "recall"), in -> {
        PrecisionRecall.Result pr = PrecisionRecall.of(in.real().kidFeatures(), in.generated().kidFeatures());
        return Map.of("precision", pr.precision(), "recall", pr.recall());
    });

    /**
     * A conditional G's class consistency: the share of its images the evaluator classifies as the
     * class they were generated for (the "classification accuracy" of conditional-GAN papers).
     */
    private static final CheckpointMetric CLASS_CONSISTENCY = simple(List.of("class_consistency"), in ->
            Map.of("class_consistency", in.generated().classJudged == 0 ? Double.NaN
                    : (double) in.generated().classMatches / in.generated().classJudged));

    /**
     * Intra-class FID (as Miyato and Koyama 2018 report it): the FID between a conditional G's images of
     * each class and the real images of that class, averaged over the classes both sides have at least
     * two images of.
     */
    private static final CheckpointMetric INTRA_CLASS_FID = simple(List.of("intra_fid"), in -> {
        FeatureStats[] generated = in.generated().perClass;
        if (generated == null || in.real().classMu() == null) {
            return Map.of("intra_fid", Double.NaN);
        }
        double sum = 0;
        int classes = 0;
        for (int c = 0; c < Math.min(generated.length, in.real().classMu().length); c++) {
            if (generated[c].count() < 2 || !Double.isFinite(in.real().classSigma()[c][0])) {
                continue; // a class with fewer than two images on either side has no covariance
            }
            sum += FrechetDistance.of(in.real().classMu()[c], in.real().classSigma()[c], in.real().classFactors()[c],
                    generated[c].mean(), generated[c].covariance(), in.real().dimension());
            classes++;
        }
        return Map.of("intra_fid", classes == 0 ? Double.NaN : sum / classes);
    });

    /** Every metric, by name. */
    static final Map<String, CheckpointMetric> ALL = registry(Map.entry("fid", FID), Map.entry("kid", KID),
            Map.entry("mode_coverage", MODE_COVERAGE), Map.entry("inception_score", INCEPTION_SCORE),
            Map.entry("precision_recall", PRECISION_RECALL), Map.entry("class_consistency", CLASS_CONSISTENCY),
            Map.entry("intra_fid", INTRA_CLASS_FID));

    private CheckpointMetrics() {
    }

    /** Every metric's values for one checkpoint, by report key, in report order. */
    static Map<String, Double> scoreAll(CheckpointMetric.Inputs inputs) {
        Map<String, Double> values = new LinkedHashMap<>();
        for (CheckpointMetric metric : ALL.values()) {
            Map<String, Double> scored = metric.score(inputs);
            for (String key : metric.keys()) {
                values.put(key, scored.getOrDefault(key, Double.NaN));
            }
        }
        return values;
    }

    /** Every report key, in report order. */
    static List<String> keys() {
        List<String> keys = new ArrayList<>();
        ALL.values().forEach(m -> keys.addAll(m.keys()));
        return keys;
    }

    @SafeVarargs
    private static Map<String, CheckpointMetric> registry(Map.Entry<String, CheckpointMetric>... metrics) {
        Map<String, CheckpointMetric> all = new LinkedHashMap<>();
        for (Map.Entry<String, CheckpointMetric> m : metrics) {
            all.put(m.getKey(), m.getValue());
        }
        return all;
    }

    private static CheckpointMetric simple(List<String> keys,
                                           Function<CheckpointMetric.Inputs, Map<String, Double>> f) {
        return new CheckpointMetric() {
            @Override
            public List<String> keys() {
                return keys;
            }

            @Override
            public Map<String, Double> score(CheckpointMetric.Inputs inputs) {
                return f.apply(inputs);
            }
        };
    }
}

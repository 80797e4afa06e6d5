package io.sparkgan.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.io.DirectoryLease;
import io.sparkgan.io.Json;
import io.sparkgan.io.RunDirectory;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.IntStream;
import org.apache.hadoop.fs.Path;

/**
 * The FID report of a run, written as {@code fid/report.json} (everything, for programs),
 * {@code fid/report.csv} (one row per checkpoint, for spreadsheets) and {@code fid/report.html} (for
 * people: plots of FID and KID against step, the scores table, each checkpoint's sample grid). The
 * HTML is one self-contained file (inline SVG, images as data URIs), so it opens the same whether
 * it was copied off HDFS, S3 or a local disk. Each file is replaced atomically.
 */
public record FidReport(String runId, String runDirectory, String dataset, String datasetSha256, List<String> classes,
                        Extractor extractor, int samplesRequested, long seed, int kidSubsets, int kidSubsetSize,
                        String realStats, long realCount, double realStatsSeconds, List<CheckpointScore> checkpoints,
                        String createdAt, Styled styled) {

    /**
     * What a style-based generator's report adds: the noise its images were drawn with, and its
     * style-mixing grid (of one checkpoint's generator). Null for the other networks.
     */
    public record Styled(String noiseMode, byte[] mixingGrid, String mixingCaption) {}

    /** This report with a style-based generator's additions. */
    FidReport withStyled(Styled s) {
        return new FidReport(runId, runDirectory, dataset, datasetSha256, classes, extractor, samplesRequested, seed,
                kidSubsets, kidSubsetSize, realStats, realCount, realStatsSeconds, checkpoints, createdAt, s);
    }

    /** The features the scores are computed on; {@code testAccuracy} is NaN for inception. */
    /**
     * The features the scores are computed on.
     *
     * @param classes the evaluator's classes (its class predictions: mode coverage), 0 for inception
     * @param probabilityClasses classes of the probabilities IS is computed on: the evaluator's, or
     *     InceptionV3's 1000 when its model has the classifier; 0 when IS is not available
     */
    public record Extractor(ExtractorSpec spec, int featureDim, int classes, double testAccuracy,
                            int probabilityClasses) {}

    void write(Storage storage, Path dir, DirectoryLease lease) throws IOException {
        lease.check();
        storage.writeString(new Path(dir, "report.json"), json());
        storage.writeString(new Path(dir, "report.csv"), csv());
        storage.writeString(new Path(dir, "report.html"), html());
    }

    String json() {
        ObjectNode root = Json.object();
        root.put("run_id", runId);
        root.put("run_directory", runDirectory);
        if (styled != null) {
            root.put("generator_noise_mode", styled.noiseMode());
        }
        root.putObject("dataset").put("name", dataset).put("content_sha256", datasetSha256);
        ObjectNode ex = root.putObject("extractor");
        ex.put("name", extractor.spec().name());
        ex.put("uri", extractor.spec().uri());
        ex.put("sha256", extractor.spec().sha256());
        ex.put("feature_dim", extractor.featureDim());
        if (!Double.isNaN(extractor.testAccuracy())) {
            ex.put("test_accuracy", extractor.testAccuracy());
        }
        root.put("samples", samplesRequested);
        root.put("seed", seed);
        root.put("kid_subsets", kidSubsets);
        root.put("kid_subset_size", kidSubsetSize);
        root.putObject("real_statistics").put("uri", realStats).put("count", realCount)
                .put("seconds", realStatsSeconds);
        root.put("metrics_version", FrechetDistance.VERSION);
        root.put("fid_method", "symmetric eigendecompositions in double precision, pure Java (EJML):"
                + " tr((S1^1/2 S2 S1^1/2)^1/2) as the eigenvalues of B^T S2 B with B B^T = S1 (the real data's)");
        root.put("kid_method", "unbiased MMD^2, kernel (x.y/d + 1)^3, mean and std over random subsets");
        root.put("is_method", extractor.probabilityClasses() == 0 ? "not available: the extractor gives no class"
                + " probabilities" : "exp(E KL(p(y|x) || p(y))) on the extractor's class probabilities ("
                + extractor.probabilityClasses() + " classes), mean and std over "
                + InceptionScore.SPLITS + " splits (Salimans et al. 2016)");
        root.put("precision_recall_method", "k-NN manifolds, k = " + PrecisionRecall.K + ", on the KID feature rows"
                + " (Kynkaanniemi et al. 2019)");
        root.put("metrics", String.join(",", CheckpointMetrics.keys()));
        ArrayNode rows = root.putArray("checkpoints");
        for (CheckpointScore s : checkpoints) {
            ObjectNode row = rows.addObject();
            row.put("step", s.step());
            row.put("checkpoint", RunDirectory.stepName(s.step()));
            row.put("generator", s.generator());
            s.values().forEach((key, value) -> {
                if (!Double.isNaN(value)) { // a metric that does not apply (no class predictions) is left out
                    row.put(key, value);
                }
            });
            if (s.classCounts().length > 0) {
                ArrayNode counts = row.putArray("class_counts");
                for (long c : s.classCounts()) {
                    counts.add(c);
                }
            }
            row.put("samples", s.samples());
            row.put("seconds", s.seconds());
            row.put("images_per_s", s.imagesPerSecond());
        }
        root.put("created_at", createdAt);
        return Json.pretty(root);
    }

    /** A report row's identity: a checkpoint's step and which of its generators ("ema", "raw"). */
    record Row(long step, String generator) implements Comparable<Row> {
        @Override
        public int compareTo(Row other) {
            return step != other.step ? Long.compare(step, other.step) : generator.compareTo(other.generator);
        }
    }

    /**
     * The scores in an earlier {@code report.json} in {@code dir} that are what scoring again would
     * give: the same extractor (by hash), sample count, seed, KID settings, real statistics and metric
     * code ({@link FrechetDistance#VERSION}: rows scored by earlier code are scored again). By
     * row (step and generator), without grids; empty when there is no such report.
     */
    static Map<Row, CheckpointScore> reusableScores(Storage storage, Path dir, String extractorSha256,
                                                              int samples, long seed, int kidSubsets,
                                                              int kidSubsetSize, String realStats) throws IOException {
        Map<Row, CheckpointScore> scores = new TreeMap<>();
        Path json = new Path(dir, "report.json");
        if (!storage.exists(json)) {
            return scores;
        }
        JsonNode root;
        try {
            root = Json.parse(storage.readString(json));
        } catch (RuntimeException e) {
            return scores; // unreadable: score again and rewrite it
        }
        boolean same = extractorSha256.equals(root.path("extractor").path("sha256").asText())
                && root.path("samples").asInt(-1) == samples && root.path("seed").asLong() == seed
                && root.has("seed") && root.path("kid_subsets").asInt(-1) == kidSubsets
                && root.path("kid_subset_size").asInt(-1) == kidSubsetSize
                && realStats.equals(root.path("real_statistics").path("uri").asText())
                && String.join(",", CheckpointMetrics.keys()).equals(root.path("metrics").asText())
                && root.path("metrics_version").asInt(1) == FrechetDistance.VERSION;
        if (!same) {
            return scores;
        }
        for (JsonNode row : root.path("checkpoints")) {
            long[] counts = new long[row.path("class_counts").size()];
            for (int i = 0; i < counts.length; i++) {
                counts[i] = row.path("class_counts").get(i).asLong();
            }
            Map<String, Double> values = new LinkedHashMap<>();
            for (String key : CheckpointMetrics.keys()) {
                values.put(key, row.path(key).asDouble(Double.NaN));
            }
            // a report written before rows named their generator scored the EMA one, or the raw one
            // of a run without EMA: score it again rather than guess
            if (!row.has("generator")) {
                continue;
            }
            scores.put(new Row(row.path("step").asLong(), row.path("generator").asText()),
                    new CheckpointScore(row.path("step").asLong(),
                    row.path("generator").asText(), values, counts, row.path("samples").asLong(),
                    row.path("seconds").asDouble(), null));
        }
        return scores;
    }

    String csv() {
        StringBuilder out = new StringBuilder("step,generator,fid,kid_mean,kid_std,mode_coverage,class_kl_to_real,"
                + "is_mean,is_std,precision,recall,class_consistency,intra_fid,samples,seconds\n");
        for (CheckpointScore s : checkpoints) {
            out.append(String.format(Locale.ROOT, "%d,%s,%.6f,%.6f,%.6f,%s,%s,%s,%s,%s,%s,%s,%s,%d,%.3f%n", s.step(),
                    s.generator(), s.fid(), s.kidMean(), s.kidStd(), num(s.coverage()), num(s.klToReal()),
                    num(s.value("is_mean")), num(s.value("is_std")), num(s.value("precision")),
                    num(s.value("recall")), num(s.value("class_consistency")), num(s.value("intra_fid")), s.samples(),
                    s.seconds()));
        }
        return out.toString();
    }

    private static String fixed(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.3f", v);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6f", v);
    }

    String html() {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>FID report — ")
                .append(esc(runId)).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}")
                .append("table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px;")
                .append("text-align:right}th{background:#f3f3f3}td.l,th.l{text-align:left}")
                .append(".grids{display:flex;flex-wrap:wrap;gap:16px}.grids figure{margin:0}")
                .append(".grids img{image-rendering:pixelated;width:224px;border:1px solid #ccc}")
                .append("figcaption{font-size:13px;text-align:center}\n</style></head><body>\n");
        h.append("<h1>FID report: ").append(esc(runId)).append("</h1>\n<table>\n");
        row(h, "Run directory", runDirectory);
        row(h, "Dataset", dataset + " (content SHA-256 " + datasetSha256.substring(0, 16) + "…)");
        row(h, "Features", extractor.spec().name() + ", " + extractor.featureDim() + "-d, weights SHA-256 "
                + extractor.spec().sha256().substring(0, 16) + "…" + (Double.isNaN(extractor.testAccuracy()) ? ""
                : String.format(Locale.ROOT, ", held-out accuracy %.2f%%", 100 * extractor.testAccuracy())));
        row(h, "Samples per checkpoint", samplesRequested + " generated (seed " + seed + "), " + realCount
                + " real images");
        row(h, "Real statistics", realStats);
        if (styled != null) {
            row(h, "Generator noise", styled.noiseMode() + " (the checkpoint's constant noise buffers, in the"
                    + " scores and every grid)");
        }
        row(h, "Created", createdAt);
        h.append("</table>\n");
        h.append("<p>Lower is better for FID and KID; higher for IS (at most the number of classes), precision"
                + " (realism) and recall (coverage). Scores computed with different features (extractor, weights) "
                + "or sample counts are not comparable. IS needs class probabilities: an InceptionV3 model without"
                + " its classifier gives none (–).</p>\n");
        h.append("<h2>FID against step</h2>\n").append(plot(true));
        h.append("<h2>KID against step</h2>\n").append(plot(false));
        h.append("<h2>Scores</h2>\n<table><tr><th>step</th><th class=\"l\">generator</th><th>FID</th>")
                .append("<th>KID (×10³)</th><th>IS</th><th>precision</th><th>recall</th><th>mode coverage</th>")
                .append("<th>class KL</th><th>class consistency</th><th>intra-class FID</th><th>images/s</th></tr>\n");
        for (CheckpointScore s : checkpoints) {
            h.append(String.format(Locale.ROOT, "<tr><td>%d</td><td class=\"l\">%s</td><td>%.3f</td>"
                            + "<td>%.3f ± %.3f</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
                            + "<td>%s</td><td>%.0f</td></tr>%n", s.step(), s.generator(), s.fid(), 1e3 * s.kidMean(), 1e3 * s.kidStd(),
                    Double.isNaN(s.value("is_mean")) ? "–"
                            : String.format(Locale.ROOT, "%.3f ± %.3f", s.value("is_mean"), s.value("is_std")),
                    fixed(s.value("precision")), fixed(s.value("recall")),
                    Double.isNaN(s.coverage()) ? "–" : String.format(Locale.ROOT, "%.0f%%", 100 * s.coverage()),
                    Double.isNaN(s.klToReal()) ? "–" : String.format(Locale.ROOT, "%.4f", s.klToReal()),
                    fixed(s.value("class_consistency")), fixed(s.value("intra_fid")), s.imagesPerSecond()));
        }
        h.append("</table>\n<h2>Samples</h2>\n<div class=\"grids\">\n");
        for (CheckpointScore s : checkpoints) {
            h.append("<figure><img alt=\"samples at step ").append(s.step()).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(s.gridPng())).append("\"><figcaption>step ")
                    .append(s.step()).append(String.format(Locale.ROOT, " — FID %.2f", s.fid()))
                    .append("</figcaption></figure>\n");
        }
        h.append("</div>\n");
        if (styled != null && styled.mixingGrid() != null) {
            h.append("<h2>Style mixing</h2>\n<div class=\"grids\"><figure><img alt=\"style mixing\" ")
                    .append("src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(styled.mixingGrid()))
                    .append("\"><figcaption>").append(esc(styled.mixingCaption())).append("</figcaption></figure></div>\n");
        }
        h.append("</body></html>\n");
        return h.toString();
    }

    private static void row(StringBuilder h, String name, String value) {
        h.append("<tr><th class=\"l\">").append(esc(name)).append("</th><td class=\"l\">").append(esc(value))
                .append("</td></tr>\n");
    }

    /** A line plot of FID (or KID) against step as inline SVG. */
    private String plot(boolean fid) {
        int width = 640;
        int height = 280;
        int left = 70;
        int right = 20;
        int top = 20;
        int bottom = 45;
        double[] xs = checkpoints.stream().mapToDouble(CheckpointScore::step).toArray();
        double[] ys = checkpoints.stream().mapToDouble(s -> fid ? s.fid() : 1e3 * s.kidMean()).toArray();
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
                + " role=\"img\" aria-label=\"%s against step\" font-size=\"12\">%n", width, height, fid ? "FID" : "KID"));
        if (xs.length == 0) {
            return svg.append("<text x=\"20\" y=\"40\">no checkpoints scored yet</text></svg>\n").toString();
        }
        double xMin = min(xs);
        double xMax = max(xs);
        double yMin = Math.min(0, min(ys));
        double yMax = max(ys) * 1.1;
        if (xMax == xMin) {
            xMin -= 1;
            xMax += 1;
        }
        if (yMax <= yMin) {
            yMax = yMin + 1;
        }
        double plotW = width - left - right;
        double plotH = height - top - bottom;
        final double x0 = xMin;
        final double x1 = xMax;
        final double y0 = yMin;
        final double y1 = yMax;
        DoubleUnaryOperator px = x -> left + (x - x0) / (x1 - x0) * plotW;
        DoubleUnaryOperator py = y -> top + plotH - (y - y0) / (y1 - y0) * plotH;
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\""
                + " stroke=\"#999\"/>%n", left, top, plotW, plotH));
        for (int i = 0; i <= 4; i++) {
            double y = y0 + (y1 - y0) * i / 4;
            double x = x0 + (x1 - x0) * i / 4;
            svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
                            + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", left, left + plotW,
                    py.applyAsDouble(y), py.applyAsDouble(y), left - 6, py.applyAsDouble(y) + 4, tick(y)));
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    px.applyAsDouble(x), top + (int) plotH + 16, tick(x)));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">step</text>%n",
                left + plotW / 2, height - 6));
        svg.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\""
                + " text-anchor=\"middle\">%s</text>%n", top + plotH / 2, top + plotH / 2, fid ? "FID" : "KID × 10³"));
        // one line per generator scored (EMA, raw), each with its legend entry
        List<String> generators = checkpoints.stream().map(CheckpointScore::generator).distinct().toList();
        for (int g = 0; g < generators.size(); g++) {
            String name = generators.get(g);
            String colour = name.equals("raw") ? "#ff7f0e" : "#1f77b4";
            List<Integer> rows = IntStream.range(0, xs.length)
                    .filter(i -> checkpoints.get(i).generator().equals(name)).boxed().toList();
            series(svg, rows.stream().mapToDouble(i -> xs[i]).toArray(), rows.stream().mapToDouble(i -> ys[i]).toArray(),
                    px, py, colour, name);
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"%s\" text-anchor=\"end\">%s</text>%n",
                    left + plotW - 8, top + 16 + 14 * g, colour, name));
        }
        return svg.append("</svg>\n").toString();
    }

    /** One generator's scores as a line with a dot (and its value as a tooltip) per checkpoint. */
    private static void series(StringBuilder svg, double[] xs, double[] ys, DoubleUnaryOperator px,
                               DoubleUnaryOperator py, String colour, String name) {
        StringBuilder points = new StringBuilder();
        for (int i = 0; i < xs.length; i++) {
            points.append(String.format(Locale.ROOT, "%.1f,%.1f ", px.applyAsDouble(xs[i]), py.applyAsDouble(ys[i])));
        }
        svg.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"2\" points=\"")
                .append(points.toString().trim()).append("\"/>\n");
        for (int i = 0; i < xs.length; i++) {
            svg.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\">"
                    + "<title>step %.0f, %s: %.3f</title></circle>%n", px.applyAsDouble(xs[i]), py.applyAsDouble(ys[i]),
                    colour, xs[i], name, ys[i]));
        }
    }

    private static String tick(double v) {
        return Math.abs(v) >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.2f", v);
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElse(0);
    }

    private static double max(double[] v) {
        return Arrays.stream(v).max().orElse(1);
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}

package io.sparkgan.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sparkgan.io.DirectoryLease;
import io.sparkgan.io.Json;
import io.sparkgan.io.Storage;
import java.io.IOException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.fs.Path;

/**
 * The FID stage's report for a translation run ({@code fid/report.{json,csv,html}}, {@code "kind":
 * "translation"}): a row per scored checkpoint with the mean L1, PSNR and SSIM of its outputs against
 * the held-out split's targets (with a feature extractor, the FID of the outputs against the targets;
 * with the evaluator of the target side, also its accuracy on the outputs), and a grid of input |
 * output | target for the last checkpoint.
 *
 * @param grid the last checkpoint's grid (PNG)
 * @param extractor the features the FID uses (the target side's evaluator classifier or InceptionV3),
 *     null for none
 * @param evaluatorAccuracy the evaluator's accuracy on its own held-out target images (NaN for none)
 */
record TranslationReport(String runId, String runDirectory, String dataset, String datasetSha256, String heldOut,
                         long heldOutPairs, String direction, long seed, ExtractorSpec extractor,
                         double evaluatorAccuracy, List<Row> rows, byte[] grid, String createdAt) {
    private static final String METRICS = "l1: mean |output - target| on [0, 1]; psnr: dB on 0-255 over the whole"
            + " image (" + PairedMetrics.PSNR_IDENTICAL + " for an exact match); ssim: 11x11 Gaussian window, sigma"
            + " 1.5, as scikit-image; outputs as their 8-bit PNG pixels, G with dropout drawn from (seed, pair)";

    /**
     * One checkpoint's generator, scored: means over the held-out pairs; the FID of the outputs against
     * the targets and the evaluator's accuracy on the outputs against the pairs' labels, NaN without.
     */
    record Row(long step, String generator, long pairs, double l1, double psnr, double ssim, double fid,
               double accuracy, double seconds) {
        static Row of(long step, String generator, PairedScores.Sums sums, double seconds) {
            return new Row(step, generator, sums.pairs, sums.l1 / sums.pairs, sums.psnr / sums.pairs,
                    sums.ssim / sums.pairs, sums.fid(), sums.accuracy(), seconds);
        }

        String key() {
            return step + " " + generator;
        }
    }

    /**
     * The rows of the report already in {@code dir} that scoring again would reproduce, by {@link
     * Row#key}: those of a report on the same held-out pairs, direction, seed, features and metrics
     * as this one (whose rows are not read). Empty when there is none, or it cannot be read.
     */
    Map<String, Row> reusableRows(Storage storage, Path dir) throws IOException {
        Map<String, Row> reusable = new LinkedHashMap<>();
        Path file = new Path(dir, "report.json");
        if (!storage.exists(file)) {
            return reusable;
        }
        JsonNode root;
        try {
            root = Json.parse(storage.readString(file));
        } catch (RuntimeException e) {
            return reusable; // unreadable: score again and rewrite it
        }
        boolean same = "translation".equals(root.path("kind").asText())
                && datasetSha256.equals(root.path("dataset").path("content_sha256").asText())
                && heldOut.equals(root.path("held_out").path("split").asText())
                && heldOutPairs == root.path("held_out").path("pairs").asLong(-1)
                && direction.equals(root.path("direction").asText()) && root.has("seed")
                && seed == root.path("seed").asLong()
                && (extractor == null ? "" : extractor.sha256()).equals(root.path("extractor").path("sha256").asText())
                && METRICS.equals(root.path("metrics").asText());
        for (JsonNode r : same ? root.path("checkpoints") : Json.mapper().createArrayNode()) {
            Row row = new Row(r.path("step").asLong(), r.path("generator").asText(), r.path("pairs").asLong(),
                    r.path("l1").asDouble(), r.path("psnr").asDouble(), r.path("ssim").asDouble(),
                    r.path("fid").asDouble(Double.NaN), r.path("accuracy").asDouble(Double.NaN),
                    r.path("seconds").asDouble());
            reusable.put(row.key(), row);
        }
        return reusable;
    }

    void write(Storage storage, Path dir, DirectoryLease lease) throws IOException {
        lease.check();
        storage.writeString(new Path(dir, "report.json"), json());
        storage.writeString(new Path(dir, "report.csv"), csv());
        storage.writeString(new Path(dir, "report.html"), html());
    }

    String json() {
        ObjectNode root = Json.object();
        root.put("kind", "translation");
        root.put("run_id", runId);
        root.put("run_directory", runDirectory);
        root.putObject("dataset").put("name", dataset).put("content_sha256", datasetSha256);
        root.putObject("held_out").put("split", heldOut).put("pairs", heldOutPairs);
        root.put("direction", direction);
        root.put("seed", seed);
        if (extractor != null) {
            ObjectNode e = root.putObject("extractor").put("name", extractor.name()).put("uri", extractor.uri())
                    .put("sha256", extractor.sha256());
            if (!Double.isNaN(evaluatorAccuracy)) {
                e.put("test_accuracy", evaluatorAccuracy).put("of", "the target side's images");
            }
        }
        root.put("metrics", METRICS);
        ArrayNode rowsNode = root.putArray("checkpoints");
        for (Row r : rows) {
            rowsNode.addObject().put("step", r.step()).put("generator", r.generator()).put("pairs", r.pairs())
                    .put("l1", r.l1()).put("psnr", r.psnr()).put("ssim", r.ssim()).put("seconds", r.seconds());
            ObjectNode row = (ObjectNode) rowsNode.get(rowsNode.size() - 1);
            if (!Double.isNaN(r.fid())) {
                row.put("fid", r.fid());
            }
            if (!Double.isNaN(r.accuracy())) {
                row.put("accuracy", r.accuracy());
            }
        }
        root.put("created_at", createdAt);
        return Json.pretty(root);
    }

    String csv() {
        StringBuilder s = new StringBuilder("step,generator,pairs,l1,psnr,ssim,fid,accuracy,seconds\n");
        for (Row r : rows) {
            s.append(String.format(Locale.ROOT, "%d,%s,%d,%.6f,%.4f,%.6f,%s,%s,%.1f%n", r.step(), r.generator(),
                    r.pairs(), r.l1(), r.psnr(), r.ssim(), optional(r.fid(), "%.4f"), optional(r.accuracy(), "%.4f"),
                    r.seconds()));
        }
        return s.toString();
    }

    String html() {
        StringBuilder h = new StringBuilder("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>sparkgan ")
                .append(text(runId)).append(": translation</title></head><body>\n<h1>")
                .append(text(runId)).append(": translation on the held-out pairs</h1>\n<p>")
                .append(text(dataset)).append(", held-out split ").append(text(heldOut)).append(" (").append(heldOutPairs)
                .append(" pairs), direction ").append(text(direction)).append(", seed ").append(seed).append("</p>\n")
                .append("<table border=\"1\"><tr><th>step</th><th>generator</th><th>pairs</th><th>L1</th>")
                .append("<th>PSNR (dB)</th><th>SSIM</th><th>FID</th><th>accuracy</th><th>seconds</th></tr>\n");
        for (Row r : rows) {
            h.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%s</td><td>%d</td><td>%.4f</td><td>%.2f</td>"
                    + "<td>%.4f</td><td>%s</td><td>%s</td><td>%.1f</td></tr>%n", r.step(), text(r.generator()), r.pairs(),
                    r.l1(), r.psnr(), r.ssim(), optional(r.fid(), "%.2f"), optional(r.accuracy(), "%.3f"), r.seconds()));
        }
        h.append("</table>\n");
        if (extractor != null && !Double.isNaN(evaluatorAccuracy)) {
            h.append(String.format(Locale.ROOT, "<p>FID and accuracy: the evaluator classifier of the target side"
                    + " (%s, accuracy %.3f on its own held-out targets), outputs against targets and against the pairs'"
                    + " labels.</p>%n", text(extractor.uri()), evaluatorAccuracy));
        } else if (extractor != null) {
            h.append(String.format(Locale.ROOT, "<p>FID: the outputs' %s features against the targets' (%s).</p>%n",
                    text(extractor.name()), text(extractor.uri())));
        }
        if (grid != null) {
            h.append("<figure><img alt=\"input, output, target\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(grid)).append("\"><figcaption>step ")
                    .append(rows.isEmpty() ? "" : String.valueOf(rows.get(rows.size() - 1).step()))
                    .append(": input | output | target for the first held-out pairs</figcaption></figure>\n");
        }
        return h.append("</body></html>\n").toString();
    }

    private static String optional(double v, String format) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, format, v);
    }

    private static String text(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}

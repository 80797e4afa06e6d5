import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.DataConfig;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.Preparer;
import io.sparkgan.io.Storage;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * Prepare's throughput on a folder of PNGs, measured side by side (docs/prepare-bench.sh runs it):
 * <ol>
 *   <li>sparkgan's prepare (decode, validate, resize 80→64, write shards) against Spark's own image
 *       data source ({@code spark.read.format("image")}, decode only) on the same folder, in the
 *       same {@code local[2]} session;</li>
 *   <li>sparkgan's prepare in {@code local[1]} against {@code local[2]}.</li>
 * </ol>
 * Each pair runs back to back and the figures are the medians of the pairs' ratios, since this
 * machine's speed drifts. Usage: {@code PrepareBench FOLDER IMAGES PAIRS}; the folder is filled with
 * procedurally drawn 80×80 RGB PNGs first if it holds fewer.
 */
public final class PrepareBench {
    public static void main(String[] args) throws Exception {
        Path folder = Path.of(args[0]).toAbsolutePath();
        int images = Integer.parseInt(args[1]);
        int pairs = Integer.parseInt(args[2]);
        generate(folder.resolve("images"), images);
        List<double[]> rows = new ArrayList<>();
        for (int pair = 0; pair < pairs; pair++) {
            double ours2;
            double theirs;
            try (SparkSession spark = session("local[2]")) {
                JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
                // alternate which goes first, so neither always runs on a warmer page cache
                if (pair % 2 == 0) {
                    ours2 = prepare(sc, folder, pair);
                    theirs = imageSource(spark, folder.resolve("images"));
                } else {
                    theirs = imageSource(spark, folder.resolve("images"));
                    ours2 = prepare(sc, folder, pair);
                }
            }
            double ours1;
            try (SparkSession spark = session("local[1]")) {
                ours1 = prepare(JavaSparkContext.fromSparkContext(spark.sparkContext()), folder, pair);
            }
            rows.add(new double[] {ours2, theirs, ours1});
            System.out.printf("pair %d: sparkgan local[2] %.0f images/s, image source local[2] %.0f images/s"
                    + " (%.2f×), sparkgan local[1] %.0f images/s (local[2] is %.2f×)%n", pair + 1, ours2, theirs,
                    ours2 / theirs, ours1, ours2 / ours1);
        }
        System.out.printf("median: sparkgan / image source %.2f×, local[2] / local[1] %.2f×%n",
                median(rows.stream().mapToDouble(r -> r[0] / r[1]).toArray()),
                median(rows.stream().mapToDouble(r -> r[0] / r[2]).toArray()));
    }

    private static SparkSession session(String master) {
        return SparkSession.builder().master(master).appName("prepare-bench")
                .config("spark.ui.enabled", "false").getOrCreate();
    }

    /** sparkgan's prepare into fresh shards; images/s. */
    private static double prepare(JavaSparkContext sc, Path folder, int pair) throws IOException {
        Path shards = folder.resolve("shards-" + sc.master().replaceAll("\\W", "") + "-" + pair);
        DataConfig data = ConfigLoader.load((Path) null, List.of("data.source=" + folder.resolve("images"),
                "data.shards=" + shards, "data.image-size=64", "data.channels=3")).data();
        long started = System.nanoTime();
        DatasetInfo info = Preparer.prepare(sc, data, Storage.local());
        double seconds = (System.nanoTime() - started) / 1e9;
        delete(shards);
        return info.count() / seconds;
    }

    /** Spark's image source decoding every file (the sum of the pixel bytes forces the decode); images/s. */
    private static double imageSource(SparkSession spark, Path images) {
        long started = System.nanoTime();
        org.apache.spark.sql.Row row = spark.read().format("image").option("dropInvalid", true)
                .load(images.toString()).selectExpr("count(*)", "sum(length(image.data))").first();
        double seconds = (System.nanoTime() - started) / 1e9;
        if (row.getLong(1) < row.getLong(0) * 80L * 80 * 3) {
            throw new IllegalStateException("the image source decoded less than every image: " + row);
        }
        return row.getLong(0) / seconds;
    }

    /** Draws {@code count} 80×80 RGB PNGs of random shapes on random backgrounds, unless already there. */
    private static void generate(Path dir, int count) throws IOException {
        Files.createDirectories(dir);
        long present;
        try (var files = Files.list(dir)) {
            present = files.count();
        }
        if (present >= count) {
            return;
        }
        System.out.printf("writing %d PNGs under %s%n", count, dir);
        IntStream.range(0, count).parallel().forEach(i -> {
            Random random = new Random(i);
            BufferedImage image = new BufferedImage(80, 80, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(new Color(random.nextInt(0xffffff)));
            g.fillRect(0, 0, 80, 80);
            for (int s = 0; s < 3; s++) {
                g.setColor(new Color(random.nextInt(0xffffff)));
                int x = random.nextInt(60);
                int y = random.nextInt(60);
                int w = 10 + random.nextInt(40);
                int h = 10 + random.nextInt(40);
                if (random.nextBoolean()) {
                    g.fillOval(x, y, w, h);
                } else {
                    g.fillRect(x, y, w, h);
                }
            }
            g.dispose();
            try {
                ImageIO.write(image, "png", dir.resolve(String.format("img-%07d.png", i)).toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static void delete(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}

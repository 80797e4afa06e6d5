package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.TestSpark;
import io.sparkgan.io.Json;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Colour datasets end to end: a folder of real PNG and JPEG files drawn here (no colour dataset ships
 * in Debian: coloured discs and squares on coloured backgrounds, 80×80, two classes by subfolder),
 * prepared and trained at 64×64×3 (driver and collective modes bit-identical) and at 128×128×3.
 */
class ColourImagesTest {
    @TempDir
    static Path tmp;

    /** {@code count} images, half discs and half squares, each in its class's subfolder; every fourth a JPEG. */
    static void drawShapes(Path folder, int count, long seed) throws IOException {
        Random random = new Random(seed);
        for (int i = 0; i < count; i++) {
            String shape = i % 2 == 0 ? "disc" : "square";
            BufferedImage image = new BufferedImage(80, 80, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)));
            g.fillRect(0, 0, 80, 80);
            g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)));
            int size = 20 + random.nextInt(40);
            int x = random.nextInt(80 - size);
            int y = random.nextInt(80 - size);
            if (shape.equals("disc")) {
                g.fillOval(x, y, size, size);
            } else {
                g.fillRect(x, y, size, size);
            }
            g.dispose();
            Path dir = Files.createDirectories(folder.resolve(shape));
            String format = i % 4 == 3 ? "jpg" : "png";
            ImageIO.write(image, format, dir.resolve(String.format("%s-%04d.%s", shape, i, format)).toFile());
        }
    }

    @BeforeAll
    static void drawDataset() throws IOException {
        TestSpark.stop(); // the CLI starts its own context
        drawShapes(tmp.resolve("shapes"), 64, 7);
    }

    private static CliRun sparkgan(String command, int size, String runId, String... sets) {
        List<String> args = new ArrayList<>(List.of(command, "--config", "conf/local.conf",
                "--set", "spark.master=local[2]", "--set", "data.source=" + tmp.resolve("shapes"),
                "--set", "data.shards=" + tmp.resolve("shards-" + size), "--set", "data.image-size=" + size,
                "--set", "data.channels=3", "--set", "output.dir=" + tmp.resolve("runs"),
                "--set", "model.g-features=8", "--set", "model.d-features=8", "--set", "model.latent-dim=16",
                "--set", "train.workers=2", "--set", "train.batch-per-worker=4", "--set", "train.steps=3",
                "--set", "train.checkpoint-every=3", "--set", "train.sample-every=3", "--set", "train.log-every=1",
                "--set", "train.sample-count=16", "--set", "fid.enabled=false"));
        if (runId != null) {
            args.addAll(List.of("--set", "run.id=" + runId));
        }
        for (String set : sets) {
            args.addAll(List.of("--set", set));
        }
        CliRun run = CliRun.of(args);
        assertEquals(0, run.code(), run.err());
        return run;
    }

    private static JsonNode success(String runId) throws IOException {
        return Json.parse(Files.readString(tmp.resolve("runs").resolve(runId).resolve("_SUCCESS")));
    }

    @Test
    void sixtyFourByFourByThreeTrainsTheSameInBothModes() throws IOException {
        sparkgan("prepare", 64, null);
        JsonNode dataset = Json.parse(Files.readString(tmp.resolve("shards-64/dataset.json")));
        assertEquals(64, dataset.path("count").asInt(), dataset.toString());
        assertEquals("[3,64,64]", dataset.path("shape").toString());
        assertEquals("[\"disc\",\"square\"]", dataset.path("classes").toString());

        sparkgan("train", 64, "colour-collective", "train.sync=collective");
        sparkgan("train", 64, "colour-driver", "train.sync=driver");
        assertEquals(success("colour-collective").path("params_sha256"), success("colour-driver").path("params_sha256"));

        BufferedImage grid = ImageIO.read(tmp.resolve("runs/colour-collective/samples/step-00000003.png").toFile());
        assertTrue(grid.getWidth() >= 4 * 64, "a grid of 64×64 samples: " + grid.getWidth());
        boolean colour = false;
        for (int y = 0; y < grid.getHeight() && !colour; y += 3) {
            for (int x = 0; x < grid.getWidth() && !colour; x += 3) {
                int rgb = grid.getRGB(x, y);
                colour = ((rgb >> 16) & 0xff) != (rgb & 0xff) || ((rgb >> 8) & 0xff) != (rgb & 0xff);
            }
        }
        assertTrue(colour, "the samples have colour");
    }

    @Test
    void oneTwentyEightByOneTwentyEightByThreeTrains() throws IOException {
        sparkgan("train", 128, "colour-128"); // prepares first
        assertEquals(3, success("colour-128").path("steps").asInt());
        JsonNode dataset = Json.parse(Files.readString(tmp.resolve("shards-128/dataset.json")));
        assertEquals("[3,128,128]", dataset.path("shape").toString());
    }
}

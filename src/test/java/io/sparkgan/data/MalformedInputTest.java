package io.sparkgan.data;

import static io.sparkgan.data.MalformedImages.GREY;
import static io.sparkgan.data.MalformedImages.GREY_ALPHA;
import static io.sparkgan.data.MalformedImages.PALETTE;
import static io.sparkgan.data.MalformedImages.RGB;
import static io.sparkgan.data.MalformedImages.RGBA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import io.sparkgan.TestSpark;
import io.sparkgan.config.DataConfig;
import io.sparkgan.io.DirectoryLease;
import io.sparkgan.io.Storage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntBinaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The malformed inputs of issue 4, generated here by {@link MalformedImages} into one folder beside
 * good images, and prepared through {@link Preparer#prepare} (what {@code sparkgan prepare} runs) on
 * the local Hadoop filesystem. Every file has one expected outcome per configuration: accepted with
 * known pixels after conversion, or listed in rejects.csv with a reason that says what was wrong.
 */
class MalformedInputTest {
    static final int SIZE = 28;
    static final long MAX_PIXELS = 50_000_000L;
    static final String TOO_SMALL = "image is 1×1, too small to resize to 28×28";
    static final String NOT_GREY = "has 3 channels (RGB), expected 1 channel (grey) (set data.convert-channels=true to convert)";
    static final String NOT_AN_IMAGE = "not an image: no PNG or JPEG signature found";

    @TempDir
    Path tmp;
    Path images;
    Path shards;
    final Storage storage = Storage.local();
    /** File (relative to the folder, as Hadoop names it) → what prepare must make of it. */
    final Map<String, Case> cases = new TreeMap<>();

    /**
     * One file's expected outcome with data.channels=3 and convert-channels=true ({@code rgb}), and with
     * data.channels=1 and convert-channels=false ({@code grey}).
     */
    record Case(Outcome rgb, Outcome grey) {}

    sealed interface Outcome permits Accepted, Rejected {}

    /** Accepted; {@code pixels} are the expected CHW bytes, or null where a lossy JPEG makes them inexact. */
    record Accepted(byte[] pixels) implements Outcome {}

    /** Rejected with a reason holding each of {@code parts}. */
    record Rejected(List<String> parts) implements Outcome {
        Rejected(String... parts) {
            this(List.of(parts));
        }
    }

    @BeforeEach
    void writeCorpus() throws IOException, InterruptedException {
        images = tmp.resolve("images");
        shards = tmp.resolve("shards");
        Files.createDirectories(images);

        // Good images: 8-bit grey and RGB PNGs, grey and colour JPEGs.
        int[] grey = plane((x, y) -> (x * 9 + y * 3) & 0xff);
        put("good-grey.png", png(SIZE, 8, GREY, (x, y, s) -> grey[y * SIZE + x], null, null), greyImage(grey));
        int[][] rgb = {plane((x, y) -> x * 9), plane((x, y) -> y * 9), plane((x, y) -> (x * y) & 0xff)};
        put("good-rgb.png", png(SIZE, 8, RGB, (x, y, s) -> rgb[s][y * SIZE + x], null, null), rgbImage(rgb));
        put("good-grey.jpg", TestImages.encode(TestImages.grey(SIZE, SIZE, 3), "jpg"),
                new Case(new Accepted(null), new Accepted(null)));
        byte[] rgbJpeg = TestImages.encode(TestImages.rgb(SIZE, SIZE, 4), "jpg");
        put("good-rgb.jpg", rgbJpeg, new Case(new Accepted(null), new Rejected(NOT_GREY)));
        put("jpeg-named.png", rgbJpeg, new Case(new Accepted(null), new Rejected(NOT_GREY)));
        put("no-end-marker.jpg", MalformedImages.truncated(rgbJpeg, rgbJpeg.length - 2),
                new Case(new Accepted(null), new Rejected(NOT_GREY)));

        // 16-bit PNGs: v → round(v · 255 / 65535), including values where v >> 8 would be one off.
        int[] grey16 = plane((x, y) -> (x * 2341 + y * 977 + x * y * 13) & 0xffff);
        put("grey-16bit.png", png(SIZE, 16, GREY, (x, y, s) -> grey16[y * SIZE + x], null, null), greyImage(to8(grey16)));
        int[][] rgb16 = {plane((x, y) -> 51200 + x * 97), plane((x, y) -> (y * 2399) & 0xffff), plane((x, y) -> 65535 - x * y * 31)};
        put("rgb-16bit.png", png(SIZE, 16, RGB, (x, y, s) -> rgb16[s][y * SIZE + x], null, null),
                rgbImage(to8(rgb16[0]), to8(rgb16[1]), to8(rgb16[2])));

        // Palettes: expanded; a palette of greys only is a grey image (so are 1-bit greys, which ImageIO reads as one).
        byte[] colours = {(byte) 255, 0, 0, 0, (byte) 255, 0, 0, 0, (byte) 255, 10, 20, 30, (byte) 200, (byte) 150, 100};
        IntBinaryOperator index = (x, y) -> (x + 2 * y) % 5;
        int[][] expanded = new int[3][];
        for (int c = 0; c < 3; c++) {
            int channel = c;
            expanded[c] = plane((x, y) -> colours[3 * index.applyAsInt(x, y) + channel] & 0xff);
        }
        put("palette.png", png(SIZE, 8, PALETTE, (x, y, s) -> index.applyAsInt(x, y), colours, null), rgbImage(expanded));
        byte[] alphas = {0, (byte) 128}; // entry 0 fully transparent, entry 1 half: dropped, the colour kept
        put("palette-transparent.png", png(SIZE, 8, PALETTE, (x, y, s) -> index.applyAsInt(x, y), colours, alphas),
                rgbImage(expanded));
        byte[] greys = new byte[16 * 3];
        for (int i = 0; i < 16; i++) {
            Arrays.fill(greys, 3 * i, 3 * i + 3, (byte) (i * 17));
        }
        IntBinaryOperator greyIndex = (x, y) -> (x * 3 + y) % 16;
        put("palette-grey-4bit.png", png(SIZE, 4, PALETTE, (x, y, s) -> greyIndex.applyAsInt(x, y), greys, null),
                greyImage(plane((x, y) -> greyIndex.applyAsInt(x, y) * 17)));
        IntBinaryOperator checker = (x, y) -> (x / 4 + y / 4) % 2;
        put("grey-1bit.png", png(SIZE, 1, GREY, (x, y, s) -> checker.applyAsInt(x, y), null, null),
                greyImage(plane((x, y) -> 255 * checker.applyAsInt(x, y))));

        // Alpha: dropped when converting (the colour under it is kept), a reason when not.
        put("grey-alpha.png", png(SIZE, 8, GREY_ALPHA, (x, y, s) -> s == 0 ? grey[y * SIZE + x] : (x < 4 ? 0 : 255), null, null),
                new Case(replicate(grey), new Rejected("has transparent pixels (an alpha channel); expected opaque 1 channel"
                        + " (grey) (set data.convert-channels=true to drop alpha)")));
        put("grey-alpha-opaque.png", png(SIZE, 8, GREY_ALPHA, (x, y, s) -> s == 0 ? grey[y * SIZE + x] : 255, null, null),
                greyImage(grey));
        put("grey-transparent-value.png", png(SIZE, 8, GREY, (x, y, s) -> grey[y * SIZE + x], null, new byte[] {0, 0}),
                new Case(replicate(grey), new Rejected("has transparent pixels"))); // tRNS: grey 0 is transparent
        put("rgba.png", png(SIZE, 8, RGBA, (x, y, s) -> s == 3 ? (y < 3 ? 0 : 200) : rgb[s][y * SIZE + x], null, null),
                rgbImage(rgb));

        // JPEGs with colour components other than 1 or 3.
        String cmyk = "CMYK JPEG (4 colour components, Adobe transform 0) is not supported: convert it to RGB";
        put("cmyk.jpg", MalformedImages.jpegOfRaster(SIZE, SIZE, 4, (x, y, b) -> (x * 8 + b * 40) & 0xff, 0),
                rejected(cmyk));
        put("ycck.jpg", MalformedImages.jpegOfRaster(SIZE, SIZE, 4, (x, y, b) -> (y * 8 + b * 40) & 0xff, 2),
                rejected("YCCK JPEG (4 colour components, Adobe transform 2) is not supported: convert it to RGB"));
        put("two-components.jpg", MalformedImages.jpegOfRaster(SIZE, SIZE, 2, (x, y, b) -> x * 8, -1),
                rejected("JPEG with 2 colour components is not supported (expected 1, grey, or 3, YCbCr/RGB)"));

        // Truncated and damaged.
        byte[] noisyPng = png(SIZE, 8, RGB, (x, y, s) -> (x * 31 + y * 17 + s * 101 + x * y) & 0xff, null, null);
        int idat = MalformedImages.chunkData(noisyPng, "IDAT");
        String truncated = "truncated: the file ends before its image data does";
        put("truncated-in-data.png", MalformedImages.truncated(noisyPng, idat + 100),
                rejected(truncated, "Unexpected end of ZLIB input stream"));
        put("truncated-in-header.png", MalformedImages.truncated(noisyPng, 20), rejected(truncated, "PNG header"));
        byte[] damaged = noisyPng.clone();
        damaged[idat + 40] ^= 0x5a;
        put("damaged-data.png", damaged, rejected("corrupt or unreadable image: Error reading PNG image data"));
        put("truncated-in-data.jpg", MalformedImages.truncated(rgbJpeg, rgbJpeg.length * 7 / 10),
                rejected(truncated, "Corrupt JPEG data: premature end of data segment"));
        put("truncated-in-header.jpg", MalformedImages.truncated(rgbJpeg, 300), rejected(truncated));
        put("empty.png", new byte[0], rejected("empty file (0 bytes)"));
        put("empty.jpg", new byte[0], rejected("empty file (0 bytes)"));
        put("random.png", MalformedImages.randomBytes(3000, 1), rejected(NOT_AN_IMAGE));
        put("random.jpg", MalformedImages.randomBytes(3000, 2), rejected(NOT_AN_IMAGE));
        put("gif-named.png", TestImages.encode(TestImages.rgb(SIZE, SIZE, 6), "gif"),
                rejected("unsupported image format GIF (expected PNG or JPEG)"));
        put("bad-colour-type.png", MalformedImages.pngHeader(SIZE, SIZE, 8, 1),
                rejected("corrupt or unreadable image", "Color type must be 0, 2, 3, 4, or 6"));
        put("notes.bin", "not an image".getBytes(StandardCharsets.UTF_8),
                rejected("not an image file name (expected .png, .jpg or .jpeg)"));

        // Sizes: 1×1, and headers of decompression bombs (a PNG of 100000×100000 16-bit RGBA pixels would be
        // 80 GB decoded, the JPEG 12.9 GB; each file is a few hundred bytes).
        put("one-pixel.png", png(1, 8, RGB, (x, y, s) -> 7, null, null), rejected(TOO_SMALL));
        put("bomb.png", MalformedImages.pngHeader(100_000, 100_000, 16, RGBA),
                rejected("image declares 100000×100000 pixels, more than data.max-pixels=50000000 (not decoded)"));
        put("bomb.jpg", MalformedImages.withSofSize(rgbJpeg, 65_535, 65_535),
                rejected("image declares 65535×65535 pixels, more than data.max-pixels=50000000 (not decoded)"));

        // File names: UTF-8 ones are fine; Hadoop cannot open names that are not UTF-8 or hold ':', nor dangling links.
        put("café-ü.png", png(SIZE, 8, GREY, (x, y, s) -> grey[y * SIZE + x], null, null), greyImage(grey));
        put("co:lon.png", png(SIZE, 8, GREY, (x, y, s) -> 1, null, null),
                rejected("unreadable: Hadoop paths cannot hold ':' in a file name, rename it"));
        Files.createSymbolicLink(images.resolve("dangling.png"), images.resolve("gone.png"));
        cases.put("dangling.png", rejected("broken symbolic link: it points at " + images.resolve("gone.png")
                + ", which does not exist"));
        writeNonUtf8Names(png(SIZE, 8, GREY, (x, y, s) -> 3, null, null));
        cases.put("caf\uFFFD.png", rejected("file name is not valid UTF-8 (its bytes, percent-encoded: caf%E9.png)",
                "rename it"));
        cases.put("\uFFFDdir/inside.png", rejected("file name is not valid UTF-8 (its bytes, percent-encoded: %FFdir/inside.png)"));
    }

    /**
     * {@code caf\351.png} (Latin-1 é) and {@code \377dir/inside.png}. Java cannot make these names: with
     * sun.jnu.encoding=UTF-8 every String path is written as UTF-8, so a shell writes the raw bytes.
     */
    private void writeNonUtf8Names(byte[] content) throws IOException, InterruptedException {
        Path source = tmp.resolve("source.png");
        Files.write(source, content);
        Process shell = new ProcessBuilder("/bin/sh", "-c",
                "cp \"$1\" \"$2/$(printf 'caf\\351.png')\" && mkdir \"$2/$(printf '\\377dir')\""
                        + " && cp \"$1\" \"$2/$(printf '\\377dir')/inside.png\"",
                "sh", source.toString(), images.toString()).redirectErrorStream(true).start();
        String output = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, shell.waitFor(), "could not create the non-UTF-8 names: " + output);
        try (Stream<Path> listing = Files.list(images)) {
            assertTrue(listing.anyMatch(p -> p.getFileName().toString().equals("caf\uFFFD.png")),
                    "the shell wrote a name this JVM cannot decode");
        }
    }

    private void put(String file, byte[] bytes, Case expected) throws IOException {
        TestImages.write(images.resolve(file), bytes);
        cases.put(file, expected);
    }

    private static byte[] png(int side, int bitDepth, int colourType, MalformedImages.Samples samples, byte[] palette,
                              byte[] trns) {
        return MalformedImages.png(side, side, bitDepth, colourType, samples, palette, trns);
    }

    private static Case rejected(String... parts) {
        return new Case(new Rejected(parts), new Rejected(parts));
    }

    /** A grey image: replicated into RGB, kept as it is in a grey dataset. */
    private static Case greyImage(int[] grey) {
        return new Case(replicate(grey), new Accepted(bytes(grey)));
    }

    private static Accepted replicate(int[] grey) {
        return new Accepted(bytes(grey, grey, grey));
    }

    /** A colour image: as it is in RGB; a grey dataset that does not convert rejects it. */
    private static Case rgbImage(int[]... planes) {
        return new Case(new Accepted(bytes(planes)), new Rejected(NOT_GREY));
    }

    private static int[] plane(IntBinaryOperator value) {
        int[] plane = new int[SIZE * SIZE];
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                plane[y * SIZE + x] = value.applyAsInt(x, y);
            }
        }
        return plane;
    }

    /** 16-bit samples to 8 bits, as documented: round(v · 255 / 65535). */
    private static int[] to8(int[] sixteen) {
        return Arrays.stream(sixteen).map(v -> (int) Math.round(v * 255.0 / 65535)).toArray();
    }

    private static byte[] bytes(int[]... planes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int[] plane : planes) {
            for (int v : plane) {
                out.write(v);
            }
        }
        return out.toByteArray();
    }

    private DataConfig config(String source, int channels, boolean convert, double maxRejects) {
        return new DataConfig(source, shards.toString(), SIZE, channels, "train", 0, 4L * (4 + channels * SIZE * SIZE), 0, maxRejects, MAX_PIXELS, convert, DataConfig.Cache.AUTO, 16, 8 << 20);
    }

    /** rejects.csv as file (relative to the images folder) → reason. */
    private Map<String, String> rejects() throws IOException {
        return rejects(shards);
    }

    private Map<String, String> rejects(Path dir) throws IOException {
        List<List<String>> rows = Csv.parse(Files.readString(dir.resolve("rejects.csv")));
        assertEquals(List.of("path", "reason"), rows.get(0));
        String prefix = Storage.qualify(images.toString()) + "/";
        Map<String, String> byFile = new LinkedHashMap<>();
        for (List<String> row : rows.subList(1, rows.size())) {
            assertEquals(2, row.size(), row.toString());
            assertTrue(row.get(0).startsWith(prefix), row.get(0));
            assertEquals(null, byFile.put(row.get(0).substring(prefix.length()), row.get(1)), "listed twice: " + row);
        }
        return byFile;
    }

    /** Prepares the folder and checks every file's outcome, the shards' pixels and dataset.json. */
    private void prepareAndCheck(int channels, boolean convert, boolean rgbColumn) throws IOException {
        DatasetInfo info = Preparer.prepare(TestSpark.context(), config(images.toString(), channels, convert, 1.0), storage).info();
        Map<String, String> rejects = rejects();
        List<String> accepted = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Case> c : cases.entrySet()) {
            String file = c.getKey();
            Outcome expected = rgbColumn ? c.getValue().rgb() : c.getValue().grey();
            String reason = rejects.get(file);
            if (expected instanceof Rejected r) {
                if (reason == null || !r.parts().stream().allMatch(reason::contains)) {
                    wrong.add(file + ": expected a reject with " + r.parts() + ", got " + (reason == null ? "no reject" : reason));
                }
            } else {
                accepted.add(file); // TreeMap order: the order of the shards (paths in one folder sort by name)
                if (reason != null) {
                    wrong.add(file + ": expected to be accepted, rejected: " + reason);
                }
            }
        }
        assertEquals(List.of(), wrong, "outcomes that differ from the expected ones:\n" + String.join("\n", wrong) + "\n");
        assertEquals(cases.size() - accepted.size(), rejects.size(), "rejects.csv lists exactly the rejected files: " + rejects);

        assertEquals(accepted.size(), info.count(), "dataset.json count");
        assertEquals(rejects.size(), info.rejected(), "dataset.json rejected");
        assertEquals(List.of(channels, SIZE), List.of(info.channels(), info.size()));
        assertEquals(List.of(), info.classes(), "images directly in the folder are unlabelled");
        assertTrue(Files.exists(shards.resolve(DatasetInfo.FILE)));
        int pixels = channels * SIZE * SIZE;
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        long inShards = 0;
        for (DatasetInfo.Shard shard : info.shards()) {
            Shards.Content content = Shards.read(storage, Storage.qualify(shards.toString()), shard, info.channels(), info.size());
            assertEquals(shard.count(), content.count());
            assertEquals(content.count() * pixels, content.images().length);
            all.writeBytes(content.images());
            inShards += content.count();
        }
        assertEquals(info.count(), inShards, "the shards hold every accepted image");
        assertEquals(4, info.idsPerShard());
        for (DatasetInfo.Shard shard : info.shards()) { // shard k: the accepted of source ids [4k, 4k + 4)
            assertTrue(shard.count() >= 1 && shard.count() <= 4 && shard.index() < (cases.size() + 3) / 4, shard.toString());
        }
        byte[] stored = all.toByteArray();
        for (int i = 0; i < accepted.size(); i++) {
            Case c = cases.get(accepted.get(i));
            byte[] expected = ((Accepted) (rgbColumn ? c.rgb() : c.grey())).pixels();
            if (expected != null) {
                assertArrayEquals(expected, Arrays.copyOfRange(stored, i * pixels, (i + 1) * pixels),
                        accepted.get(i) + ": pixels after conversion");
            }
        }
    }

    @Test
    void rgbDatasetConvertsWhatItCanAndRejectsTheRestWithReasons() throws IOException {
        prepareAndCheck(3, true, true);
    }

    @Test
    void strictGreyDatasetRejectsWhatItWouldHaveToConvert() throws IOException {
        prepareAndCheck(1, false, false);
    }

    @Test
    void csvManifestRowsGetTheSameOutcomesAndTheirOwnChecks() throws IOException {
        String goodSha = Hashes.sha256Hex(Files.readAllBytes(images.resolve("good-grey.png")));
        ByteArrayOutputStream csv = new ByteArrayOutputStream();
        csv.writeBytes(("path,sha256\n"
                + "good-grey.png," + goodSha + "\n"
                + "grey-16bit.png,\n"
                + "good-rgb.png," + "ab".repeat(32) + "\n"
                + "missing.png,\n"
                + "truncated-in-data.png,\n"
                + "bomb.png,\n"
                + "grey-alpha-opaque.png,not-a-hash\n"
                + "caf").getBytes(StandardCharsets.UTF_8));
        csv.write(0xe9); // a Latin-1 é: this row is not UTF-8
        csv.writeBytes(".png,\n".getBytes(StandardCharsets.UTF_8));
        Files.write(images.resolve("list.csv"), csv.toByteArray());

        DatasetInfo info = Preparer.prepare(TestSpark.context(), config(images.resolve("list.csv").toString(), 1, false, 1.0), storage).info();
        assertEquals(2, info.count());
        assertEquals(6, info.rejected());
        Map<String, String> rejects = rejects();
        assertEquals(6, rejects.size(), rejects.toString());
        assertEquals("checksum mismatch: SHA-256 is " + Hashes.sha256Hex(Files.readAllBytes(images.resolve("good-rgb.png")))
                + ", the manifest says " + "ab".repeat(32), rejects.get("good-rgb.png"));
        assertEquals("missing: the manifest lists it but no such file exists", rejects.get("missing.png"));
        assertTrue(rejects.get("truncated-in-data.png").startsWith("truncated: the file ends before its image data does"),
                rejects.toString());
        assertTrue(rejects.get("bomb.png").startsWith("image declares 100000×100000 pixels"), rejects.toString());
        assertEquals("manifest line 8: sha256 'not-a-hash' is not a SHA-256 (64 hex digits)",
                rejects.get("grey-alpha-opaque.png"));
        assertEquals("missing: the manifest's path is not valid UTF-8 (bytes shown as U+FFFD); write the manifest in UTF-8",
                rejects.get("caf\uFFFD.png"));
        Shards.Content content = Shards.read(storage, Storage.qualify(shards.toString()), info.shards().get(0), info.channels(), info.size());
        assertArrayEquals(((Accepted) cases.get("good-grey.png").grey()).pixels(),
                Arrays.copyOfRange(content.images(), 0, SIZE * SIZE), "manifest order, same pixels as from the folder");
        assertArrayEquals(((Accepted) cases.get("grey-16bit.png").grey()).pixels(),
                Arrays.copyOfRange(content.images(), SIZE * SIZE, 2 * SIZE * SIZE));
    }

    @Test
    void bombHeadersAreRejectedBeforeAnyPixelBufferIsAllocated() throws IOException {
        ImageDecoder decoder = new ImageDecoder(SIZE, 3, MAX_PIXELS, true);
        byte[] small = Files.readAllBytes(images.resolve("good-rgb.png"));
        assertInstanceOf(ImageRecord.class, decoder.decode("warm-up", small, -1)); // ImageIO's registry, JIT
        assertInstanceOf(ImageRecord.class, decoder.decode("warm-up", Files.readAllBytes(images.resolve("good-rgb.jpg")), -1));
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        // Decoded, these would need more than the whole heap: 100000² × 4 samples × 2 bytes, 65535² × 3 bytes.
        Map<String, Long> decodedBytes = Map.of("bomb.png", 100_000L * 100_000 * 4 * 2, "bomb.jpg", 65_535L * 65_535 * 3);
        for (Map.Entry<String, Long> bomb : decodedBytes.entrySet()) {
            assertTrue(bomb.getValue() > Runtime.getRuntime().maxMemory(), "a bomb that would not fit in the heap");
            byte[] bytes = Files.readAllBytes(images.resolve(bomb.getKey()));
            long before = threads.getCurrentThreadAllocatedBytes();
            Prepared result = decoder.decode(bomb.getKey(), bytes, -1);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            Reject reject = assertInstanceOf(Reject.class, result);
            assertTrue(reject.reason().contains("more than data.max-pixels=50000000 (not decoded)"), reject.reason());
            assertTrue(allocated < 8L << 20, bomb.getKey() + ": " + allocated + " bytes allocated to reject it");
        }
    }

    @Test
    void tooManyRejectsFailsAndLeavesNothingThatLooksPrepared() throws IOException {
        DatasetInfo first = Preparer.prepare(TestSpark.context(), config(images.toString(), 3, true, 1.0), storage).info();
        assertTrue(first.rejected() > 0);

        // The same source and settings but a stricter limit: the prepared data is not reused.
        DataException reused = assertThrows(DataException.class,
                () -> Preparer.prepare(TestSpark.context(), config(images.toString(), 3, true, 0.01), storage).info());
        assertTrue(reused.getMessage().contains(first.rejected() + " of " + (first.rejected() + first.count())
                + " images"), reused.getMessage());
        assertTrue(reused.getMessage().contains("more than data.max-reject-fraction=0.01"), reused.getMessage());

        // Other settings, replacing: the new generation has too many rejects, leaves only its rejects.csv,
        // and the dataset there stays current, untouched.
        String before = Files.readString(shards.resolve(DatasetInfo.FILE));
        DataException e = assertThrows(DataException.class, () -> Preparer.prepare(TestSpark.context(),
                config(images.toString(), 1, false, 0.01), storage, Duration.ofSeconds(60), true).info());
        assertTrue(e.getMessage().matches("(?s)prepare: \\d+ of " + cases.size()
                + " images \\(\\d+\\.\\d\\d%\\) were rejected, more than data\\.max-reject-fraction=0\\.01; reasons in .*rejects\\.csv\\n.*"),
                e.getMessage());
        Path failed = shards.resolve("generation-000001");
        try (Stream<Path> left = Files.list(failed)) {
            assertEquals(List.of("rejects.csv"), left.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no dataset.json and no part files after a failed prepare");
        }
        assertEquals(before, Files.readString(shards.resolve(DatasetInfo.FILE)), "the current dataset is untouched");
        assertEquals(first.contentSha256(), DatasetGenerations.current(storage,
                new org.apache.hadoop.fs.Path(shards.toUri())).info().contentSha256());
        assertTrue(rejects(failed).get("cmyk.jpg").startsWith("CMYK JPEG"), "the reasons are there to read");
    }
}

package io.sparkgan.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkgan.io.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PSNR and SSIM against scikit-image's (Debian's python3-skimage); L1 against its formula. */
class PairedMetricsTest {
    @TempDir
    Path tmp;

    @Test
    void psnrAndSsimAreScikitImages() throws Exception {
        for (int[] shape : new int[][] {{3, 1, 32}, {2, 3, 16}}) {
            int n = shape[0];
            int c = shape[1];
            int s = shape[2];
            int per = c * s * s;
            Random random = new Random(7 + c);
            byte[] a = new byte[n * per];
            byte[] b = new byte[n * per];
            for (int i = 0; i < a.length; i++) {
                int smooth = (int) (127 + 100 * Math.sin(i * 0.05 + c)); // structure, then noise of growing size
                a[i] = (byte) smooth;
                int image = i / per;
                b[i] = (byte) Math.max(0, Math.min(255, smooth + random.nextInt(1 + 40 * image) - 20 * image));
            }
            JsonNode reference = skimage(a, b, n, c, s);
            for (int i = 0; i < n; i++) {
                double psnr = PairedMetrics.psnr(a, b, i * per, per);
                double ssim = PairedMetrics.ssim(a, b, i * per, c, s);
                JsonNode expectedPsnr = reference.path("psnr").get(i);
                assertEquals(i == 0, expectedPsnr.isNull(), "scikit-image: identical images, infinite PSNR");
                assertEquals(i == 0 ? PairedMetrics.PSNR_IDENTICAL : expectedPsnr.asDouble(), psnr, 1e-9, "PSNR of pair " + i);
                assertEquals(reference.path("ssim").get(i).asDouble(), ssim, 1e-9, "SSIM of pair " + i);
                assertTrue(i == 0 ? ssim == 1.0 : ssim < 1.0, "SSIM " + ssim);
            }
        }
    }

    @Test
    void l1IsTheMeanAbsoluteDifferenceOnTheUnitRange() {
        byte[] a = {0, (byte) 255, 10, 20};
        byte[] b = {(byte) 255, (byte) 255, 20, 10};
        assertEquals((255 + 0 + 10 + 10) / 255.0 / 4, PairedMetrics.l1(a, b, 0, 4), 1e-15);
        assertEquals(10 / 255.0, PairedMetrics.l1(a, b, 2, 2), 1e-15);
    }

    private JsonNode skimage(byte[] a, byte[] b, int n, int c, int s) throws Exception {
        Path fa = Files.write(tmp.resolve("a.raw"), a);
        Path fb = Files.write(tmp.resolve("b.raw"), b);
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Path script = Path.of("src/test/resources/eval/paired_skimage_reference.py").toAbsolutePath();
        Process process = new ProcessBuilder(python, script.toString(), fa.toString(), fb.toString(),
                Integer.toString(n), Integer.toString(c), Integer.toString(s)).redirectErrorStream(true).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "the reference script finished");
        assertEquals(0, process.exitValue(), python + " " + script + " (Debian's python3-skimage): " + out);
        return Json.parse(out.substring(out.lastIndexOf('\n') + 1));
    }
}

package io.sparkgan.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class PngTest {
    @Test
    void gridCarriesTheSyntheticMarksAndThePixels() throws IOException {
        float[] pixels = new float[4 * 3 * 4 * 4];
        for (int i = 0; i < 16; i++) {
            pixels[i] = 1f;              // image 0, red plane: white-ish red
            pixels[3 * 16 + 16 + i] = -1f; // image 1, green plane
        }
        byte[] png = Png.encode(Png.grid(pixels, 4, 3, 4), Png.syntheticMarks("run-7", 1200));
        Map<String, String> text = Png.readText(new ByteArrayInputStream(png));
        assertEquals("true", text.get("Synthetic"));
        assertEquals("run-7", text.get("sparkgan:run-id"));
        assertEquals("1200", text.get("sparkgan:step"));
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(2 * (4 + 2) + 2, image.getWidth());
        int rgb = image.getRGB(2, 2) & 0xffffff;
        assertEquals(255, (rgb >> 16) & 0xff, "image 0 has a full red channel");
        assertEquals(128, (rgb >> 8) & 0xff, "and mid grey elsewhere (0 maps to 128)");
    }
}

package io.sparkgan.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.io.Json;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A StyleGAN2 run's FID report says which noise its images used and shows the style-mixing grid; others do not. */
class FidReportStyledTest {
    private static FidReport report(FidReport.Styled styled) {
        return new FidReport("run", "file:/runs/run", "fashion-mnist", "0123456789abcdef0123", List.of("a", "b"),
                new FidReport.Extractor(new ExtractorSpec("evaluator", "file:/e.zip", "fedcba98765432100000"), 64, 2,
                        0.9, 2), 100, 1, 10, 10, "file:/real.npz", 100, 1.0, new ArrayList<>(), "now", styled);
    }

    @Test
    void aStyledReportNamesItsNoiseAndShowsTheMixingGrid() throws Exception {
        FidReport styled = report(new FidReport.Styled("const", new byte[] {1, 2, 3}, "step 4, raw generator"));
        assertEquals("const", Json.parse(styled.json()).path("generator_noise_mode").asText());
        assertTrue(styled.html().contains("<h2>Style mixing</h2>") && styled.html().contains("AQID")
                && styled.html().contains("Generator noise"), styled.html());
        FidReport plain = report(null);
        assertTrue(Json.parse(plain.json()).path("generator_noise_mode").isMissingNode());
        assertFalse(plain.html().contains("Style mixing"));
    }
}

package io.sparkgan.model.networks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanArchitecture.Family;
import io.sparkgan.model.Normalisation;
import io.sparkgan.model.ParamLayout;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * sample reads a generator's network back from its graph's weight shapes, to check the kernels it will
 * run and to know its classes: the pair read back has the generator's layout, parameter for parameter.
 */
class ExportedGeneratorsTest {
    @ParameterizedTest(name = "{0} {1}×{1}×{2}, width {3}, classes {4}")
    @CsvSource({"DCGAN, 28, 1, 32, 0", "DCGAN, 64, 3, 8, 0", "RESNET, 32, 3, 16, 0", "RESNET, 28, 1, 4, 10",
            "RESNET, 128, 3, 8, 5", "STYLEGAN2, 32, 1, 4, 0", "STYLEGAN2, 128, 3, 2, 10"})
    void theNetworkIsReadBackFromTheWeightsShapes(Family family, int size, int channels, int width, int classes) {
        Normalisation gNorm = family == Family.STYLEGAN2 ? Normalisation.NONE : Normalisation.BATCH;
        GanArchitecture a = new GanArchitecture(size, channels, 20, width, 2 * width, gNorm, Normalisation.NONE,
                classes, family);
        ParamLayout layout = GanNetwork.of(a).generatorLayout();
        Function<String, long[]> shapeOf = name -> layout.params().stream().filter(p -> p.name().equals(name))
                .findFirst().map(ParamLayout.Param::shape).orElse(null);
        GanArchitecture read = ExportedGenerators.architecture(shapeOf);
        assertEquals(size, read.imageSize());
        assertEquals(channels, read.channels());
        assertEquals(family, read.family());
        if (family != Family.DCGAN) {
            assertEquals(layout.params().stream().map(ParamLayout.Param::name).toList(),
                    GanNetwork.of(read).generatorLayout().params().stream().map(ParamLayout.Param::name).toList());
            assertEquals(layout.size(), GanNetwork.of(read).generatorLayout().size());
        }
        assertEquals(classes, ExportedGenerators.classes(shapeOf, 20));
        assertNull(ExportedGenerators.architecture(name -> null), "no known network");
    }
}

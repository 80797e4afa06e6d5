package io.sparkgan.model.networks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import io.sparkgan.model.GanReplica;
import io.sparkgan.model.GraphExport;
import io.sparkgan.model.Noise;
import io.sparkgan.model.NoiseMode;
import io.sparkgan.model.Normalisation;
import io.sparkgan.model.ParamLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Truncation, style mixing and the noise modes on a StyleGAN2 generator, bit for bit: ψ = 0 gives every
 * image the one from w̄; a crossover K = 0 gives the second seed's images and K = num_ws the first's;
 * constant noise makes a seed's image repeat, random noise does not.
 */
class StyleGan2SamplingTest {
    private static final GanArchitecture A = new GanArchitecture(16, 1, 8, 2, 2, Normalisation.NONE,
            Normalisation.NONE, 0, GanArchitecture.Family.STYLEGAN2);
    private static final int N = 3;

    private static GanReplica replica() {
        GanReplica r = new GanReplica(A, GanLoss.NON_SATURATING, 1.0, DataType.FLOAT);
        r.setGenerator(params(r.generatorLayout()));
        return r;
    }

    /** G's initial parameters with noise that shows and a w̄ other than 0. */
    private static float[] params(ParamLayout layout) {
        float[] params = layout.initialise(5);
        ParamLayout.Param strength = layout.get("g/synthesis/b8/conv1/noise_strength");
        params[(int) strength.offset()] = 0.5f; // noise that shows
        ParamLayout.Param average = layout.get(MappingNetwork.W_AVERAGE);
        for (int i = 0; i < average.length(); i++) {
            params[(int) average.offset() + i] = 0.1f * (i - 3);
        }
        return params;
    }

    private static INDArray z(long seed) {
        return Nd4j.create(Noise.sampleImages(seed, 0, N, A.latentDim()), new long[] {N, A.latentDim()}, 'c');
    }

    private static float[] image(INDArray images, int i) {
        return images.get(org.nd4j.linalg.indexing.NDArrayIndex.point(i)).dup().data().asFloat();
    }

    @Test
    void truncationToZeroGivesEveryImageTheMeanOne() {
        GanReplica r = replica();
        INDArray truncated = r.generate(z(1), null, new Styling(NoiseMode.CONST, null, 0, null, 0, 0));
        for (int i = 1; i < N; i++) {
            assertArrayEquals(image(truncated, 0), image(truncated, i), "image " + i);
        }
        assertFalse(Arrays.equals(image(truncated, 0), image(r.generate(z(1), null), 0)), "ψ = 0 changes the image");
    }

    @Test
    void crossoverAtTheEndsGivesEitherSeedsImages() {
        GanReplica r = replica();
        int styles = StyleGan2.styleInputs(A);
        assertEquals(6, styles, "two per resolution at 4, 8 and 16");
        INDArray own = r.generate(z(1), null);
        INDArray other = r.generate(z(2), null);
        INDArray none = r.generate(z(1), null, new Styling(NoiseMode.CONST, null, 0, z(2), 0, 1));
        INDArray all = r.generate(z(1), null, new Styling(NoiseMode.CONST, null, 0, z(2), styles, 1));
        INDArray half = r.generate(z(1), null, new Styling(NoiseMode.CONST, null, 0, z(2), 3, 1));
        assertArrayEquals(other.data().asFloat(), none.data().asFloat(), "K = 0: the second seed's images");
        assertArrayEquals(own.data().asFloat(), all.data().asFloat(), "K = num_ws: the first seed's images");
        assertFalse(Arrays.equals(own.data().asFloat(), half.data().asFloat()));
        assertFalse(Arrays.equals(other.data().asFloat(), half.data().asFloat()));
    }

    @Test
    void constantNoiseRepeatsAndRandomNoiseDoesNot() {
        GanReplica r = replica();
        INDArray first = r.generate(z(1), null);
        assertArrayEquals(first.data().asFloat(), r.generate(z(1), null).data().asFloat());
        INDArray random = r.generate(z(1), null, new Styling(NoiseMode.RANDOM, new Styling.Draws(1, 0, 0, 0), 0,
                null, 0, 1));
        INDArray again = r.generate(z(1), null, new Styling(NoiseMode.RANDOM, new Styling.Draws(1, 0, 0, 0), 0,
                null, 0, 1));
        INDArray elsewhere = r.generate(z(1), null, new Styling(NoiseMode.RANDOM, new Styling.Draws(1, 0, 0, 3), 0,
                null, 0, 1));
        INDArray none = r.generate(z(1), null, new Styling(NoiseMode.NONE, null, 0, null, 0, 1));
        assertArrayEquals(random.data().asFloat(), again.data().asFloat(), "the same draws, the same images");
        assertFalse(Arrays.equals(random.data().asFloat(), elsewhere.data().asFloat()), "other slots, other noise");
        assertFalse(Arrays.equals(first.data().asFloat(), random.data().asFloat()));
        assertFalse(Arrays.equals(first.data().asFloat(), none.data().asFloat()));
    }

    /**
     * The exported graph holds mapping and synthesis apart, with w̄: truncation and style mixing done with
     * the graph's own pieces give the training pass's images.
     */
    @Test
    void theExportedGraphHoldsMappingAndSynthesisApartWithTheMeanW() {
        GanReplica r = replica();
        org.nd4j.autodiff.samediff.SameDiff graph = GraphExport.generator(r, Nd4j.createFromArray(params(r.generatorLayout())));
        INDArray w1 = graph.output(java.util.Map.of("z", z(1)), StyleGan2.MAPPING_OUTPUT).get(StyleGan2.MAPPING_OUTPUT);
        INDArray w2 = graph.output(java.util.Map.of("z", z(2)), StyleGan2.MAPPING_OUTPUT).get(StyleGan2.MAPPING_OUTPUT);
        INDArray mean = graph.getVariable(MappingNetwork.W_AVERAGE).getArr();
        double psi = 0.5;
        int styles = StyleGan2.styleInputs(A);
        INDArray ws = Nd4j.zeros(DataType.FLOAT, N, styles, A.latentDim());
        for (int i = 0; i < styles; i++) { // truncated, then styles 0-2 from seed 1 and the rest from seed 2
            INDArray w = i < 3 ? w1 : w2;
            ws.get(org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(i),
                    org.nd4j.linalg.indexing.NDArrayIndex.all()).assign(w.mul(psi).addRowVector(mean.mul(1 - psi)));
        }
        INDArray fromGraph = graph.output(java.util.Map.of(StyleGan2.SYNTHESIS_INPUT, ws), StyleGan2.SYNTHESIS_OUTPUT)
                .get(StyleGan2.SYNTHESIS_OUTPUT);
        INDArray fromTape = r.generate(z(1), null, new Styling(NoiseMode.CONST, null, 0, z(2), 3, psi));
        assertTrue(fromGraph.equalsWithEps(fromTape, 1e-4), "graph " + fromGraph.sumNumber() + ", tape "
                + fromTape.sumNumber());
    }
}

package io.sparkgan.model.networks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import io.sparkgan.model.GanReplica;
import io.sparkgan.model.GraphExport;
import io.sparkgan.model.NoiseMode;
import io.sparkgan.model.Normalisation;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Params;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * pix2pix's U-Net and PatchGAN: D's round on pairs and G's round (adversarial term through D plus
 * λ·L1, through the skips' concatenations, instance norm and dropout) against central finite
 * differences in double precision on a 16×16 instance (levels 1-2-4-8); the L1 term against its
 * formula; the exported graph (no dropout) against the training pass; dropout's masks per slot.
 */
class Pix2pixTest {
    private static final GanArchitecture A = new GanArchitecture(16, 1, 0, 1, 1, Normalisation.INSTANCE,
            Normalisation.INSTANCE, 0, GanArchitecture.Family.PIX2PIX);
    private static final Styling DROPOUT = Styling.training(new Styling.Draws(7, 3, 0, 4), 0);

    @Test
    void theNetworksHaveThePapersShapes() {
        GanNetwork network = GanNetwork.of(A);
        assertEquals(4, UNetLevel.levels(16));
        assertEquals(1, PatchGan.strided(32));
        assertEquals(3, PatchGan.strided(256));
        assertEquals(30, PatchGan.patchSide(256), "the paper's 30×30 patches of 70×70 pixels at 256×256");
        assertEquals(14, PatchGan.patchSide(32));
        assertEquals(6 * 6, network.discriminator(new Params(network.discriminatorLayout(),
                FiniteDifferences.generic(network.discriminatorLayout(), 2)), Dual.of(FiniteDifferences.doubles(1, 3, 2, 16, 16)),
                null).output().size(1), "a logit per patch");
        INDArray out = GanNetwork.of(A).generator(new Params(network.generatorLayout(),
                FiniteDifferences.generic(network.generatorLayout(), 1)), FiniteDifferences.doubles(1, 3, 1, 16, 16), null).output();
        assertArrayEquals(new long[] {3, 1, 16, 16}, out.shape());
        assertTrue(out.amaxNumber().doubleValue() <= 1, "tanh output");
    }

    @Test
    void discriminatorOnPairsMatchesFiniteDifferences() {
        GanReplica r = new GanReplica(A, GanLoss.NON_SATURATING, 1.0, DataType.DOUBLE);
        GanReplica.DiscriminatorBatch batch = GanReplica.DiscriminatorBatch.of(FiniteDifferences.doubles(3, 2, 2, 16, 16).mul(0.5),
                FiniteDifferences.doubles(4, 2, 2, 16, 16).mul(0.5));
        INDArray d = FiniteDifferences.generic(r.discriminatorLayout(), 2);
        r.setDiscriminator(d);
        GanReplica.RoundOutput round = r.discriminatorRound(batch);
        FiniteDifferences.check(d, round.gradient().dup(), 13, r.discriminatorLayout(), p -> {
            r.setDiscriminator(p);
            return r.discriminatorRound(batch).lossSum();
        });
    }

    @Test
    void generatorThroughDropoutAndL1MatchesFiniteDifferences() {
        GanReplica r = new GanReplica(A, GanLoss.NON_SATURATING, 1.0, DataType.DOUBLE);
        r.setDiscriminator(FiniteDifferences.generic(r.discriminatorLayout(), 2));
        INDArray inputs = FiniteDifferences.doubles(5, 2, 1, 16, 16).mul(0.5);
        INDArray targets = FiniteDifferences.doubles(6, 2, 1, 16, 16).mul(0.5);
        INDArray g = FiniteDifferences.generic(r.generatorLayout(), 1);
        r.setGenerator(g);
        // λ = 3 rather than the paper's 100 keeps the loss near 1, where central differences resolve 1e-8
        GanReplica.RoundOutput round = r.translationRound(inputs, targets, DROPOUT, 3);

        INDArray outputs = r.generate(inputs, null, DROPOUT);
        double l1 = 0;
        for (int i = 0; i < 2; i++) {
            l1 += outputs.slice(i).sub(targets.slice(i)).norm1Number().doubleValue() / 256;
        }
        assertEquals(l1, round.penaltySum(), 1e-12, "Σᵢ mean |G(xᵢ) − yᵢ|");
        FiniteDifferences.check(g, round.gradient().dup(), 29, r.generatorLayout(), p -> {
            r.setGenerator(p);
            return r.translationRound(inputs, targets, DROPOUT, 3).lossSum();
        });
    }

    @Test
    void dropoutMasksAreDrawnPerSlotAndTheExportHasNone() {
        GanReplica r = new GanReplica(A, GanLoss.NON_SATURATING, 1.0, DataType.FLOAT);
        INDArray g = Nd4j.createFromArray(r.generatorLayout().initialise(1));
        r.setGenerator(g);
        Nd4j.getRandom().setSeed(3);
        INDArray inputs = Nd4j.rand(DataType.FLOAT, 4, 1, 16, 16).muli(2).subi(1);
        INDArray dropped = r.generate(inputs, null, DROPOUT);
        INDArray plain = r.generate(inputs, null, Styling.PLAIN);
        assertFalse(dropped.equals(plain), "dropout changes the output");
        assertEquals(plain, r.generate(inputs, null, new Styling(NoiseMode.NONE, null, 0, null, 0, 1)));
        // slots 5 and 6 of the same draws: the second half of this batch, alone
        Styling later = Styling.training(new Styling.Draws(7, 3, 0, 6), 0);
        INDArray half = r.generate(inputs.get(NDArrayIndex.interval(2, 4)), null, later);
        assertEquals(dropped.get(NDArrayIndex.interval(2, 4)), half,
                "an image's masks depend on its slot, not on its batch");

        SameDiff graph = GraphExport.generator(r, g);
        INDArray exported = graph.output(Map.of("inputs", inputs), "images").get("images");
        assertTrue(exported.equalsWithEps(plain, 1e-4), "the export is G without dropout");
    }
}

package io.sparkgan.model.networks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import io.sparkgan.model.GanReplica;
import io.sparkgan.model.GraphExport;
import io.sparkgan.model.GradientPenalty;
import io.sparkgan.model.Normalisation;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Params;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * StyleGAN2's G and D end to end, in double precision, against central finite differences, on a
 * conditional instance small enough to perturb (16×16, widths 1-2-4): D's gradient with lazy R1 taken
 * through minibatch standard deviation (one group of 2, so the two images are judged together), and
 * G's through the mapping network, style mixing, per-pixel noise, modulated convolutions, FIR
 * up-sampling and the skip images. Every few parameters of each tensor (each one's first included);
 * LayersTest checks each layer in full.
 */
class StyleGan2GradientTest {
    private static final GanArchitecture A = new GanArchitecture(16, 1, 4, 1, 1, Normalisation.NONE,
            Normalisation.NONE, 3, GanArchitecture.Family.STYLEGAN2, new GanArchitecture.Style(2, 2, 0.5));

    @Test
    void discriminatorWithLazyR1ThroughMinibatchStdMatchesFiniteDifferences() {
        GanReplica r = new GanReplica(A, GanLoss.NON_SATURATING, 1.0, DataType.DOUBLE);
        INDArray real = FiniteDifferences.doubles(3, 2, 1, 16, 16).mul(0.5);
        INDArray fake = FiniteDifferences.doubles(4, 2, 1, 16, 16).mul(0.5);
        GradientPenalty r1 = GradientPenalty.r1(0.7, 4);
        GanReplica.DiscriminatorBatch batch = new GanReplica.DiscriminatorBatch(real, new int[] {0, 2}, fake,
                new int[] {1, 0}, List.of(r1), null, null, null);
        INDArray d = FiniteDifferences.generic(r.discriminatorLayout(), 2);
        r.setDiscriminator(d);
        GanReplica.RoundOutput round = r.discriminatorRound(batch);

        // the penalty is γ/2·N·Σᵢ‖∇ₓᵢ Σⱼ D(xⱼ)‖²: the gradient of D summed over the batch, by finite differences
        INDArray at = real.dup();
        GanNetwork network = GanNetwork.of(A);
        Params params = new Params(r.discriminatorLayout(), d);
        INDArray realClasses = Nd4j.createFromArray(new double[][] {{1, 0, 0}, {0, 0, 1}});
        double squares = 0;
        for (long k = 0; k < at.length(); k++) {
            double derivative = FiniteDifferences.difference(at, k,
                    x -> network.discriminator(params, Dual.of(x), realClasses).output().sumNumber().doubleValue());
            squares += derivative * derivative;
        }
        assertEquals(r1.value(Math.sqrt(squares)), round.penaltySum(), 1e-6 * round.penaltySum(),
                "R1 on ∇ₓΣD against finite differences");

        FiniteDifferences.check(d, round.gradient().dup(), 23, r.discriminatorLayout(), p -> {
            r.setDiscriminator(p);
            GanReplica.RoundOutput o = r.discriminatorRound(batch);
            return o.lossSum() + o.penaltySum();
        });
    }

    @Test
    void generatorThroughMixingAndNoiseMatchesFiniteDifferences() {
        GanReplica r = new GanReplica(A, GanLoss.NON_SATURATING, 1.0, DataType.DOUBLE);
        r.setDiscriminator(FiniteDifferences.generic(r.discriminatorLayout(), 2));
        INDArray z = FiniteDifferences.doubles(5, 4, 4);
        int[] classes = {1, 2, 0, 1};
        Styling styling = Styling.training(new Styling.Draws(7, 3, 0, 4), 0.5);
        INDArray g = FiniteDifferences.generic(r.generatorLayout(), 1);
        r.setGenerator(g);
        INDArray analytic = r.generatorRound(z, classes, null, styling).gradient().dup();

        // w̄'s slot holds Σ w over the batch, checked against the mapping network's SameDiff form
        ParamLayout layout = r.generatorLayout();
        ParamLayout.Param average = layout.get(MappingNetwork.W_AVERAGE);
        INDArray sums = analytic.get(NDArrayIndex.interval(average.offset(), average.offset() + average.length()));
        assertTrue(sums.equalsWithEps(mappingGraph(layout, g, z, classes).sum(0), 1e-9), "Σw: " + sums);

        Set<Long> buffers = new HashSet<>();
        layout.buffers().forEach(p -> { for (long i = 0; i < p.length(); i++) { buffers.add(p.offset() + i); } });
        INDArray trained = analytic.dup();
        buffers.forEach(i -> trained.putScalar(i, 0));
        FiniteDifferences.check(g, trained, 23, layout, p -> {
            r.setGenerator(p);
            return r.generatorRound(z, classes, null, styling).lossSum();
        });
    }

    /** w from the mapping network's graph form. */
    private static INDArray mappingGraph(ParamLayout layout, INDArray g, INDArray z, int[] classes) {
        SameDiff sd = SameDiff.create();
        GraphExport.declare(sd, layout, DataType.DOUBLE);
        for (ParamLayout.Param p : layout.params()) {
            sd.getVariable(p.name()).getArr().assign(g.get(NDArrayIndex.interval(p.offset(), p.offset() + p.length()))
                    .reshape('c', p.shape()));
        }
        INDArray oneHot = Nd4j.zeros(DataType.DOUBLE, classes.length, A.classes());
        for (int i = 0; i < classes.length; i++) {
            oneHot.putScalar(i, classes[i], 1);
        }
        SDVariable w = new MappingNetwork(A.latentDim(), A.latentDim(), A.classes(), A.style().mappingLayers())
                .graph(sd, sd.placeHolder("z", DataType.DOUBLE, -1, 4), sd.placeHolder("y", DataType.DOUBLE, -1, 3));
        return w.eval(Map.of("z", z, "y", oneHot));
    }
}

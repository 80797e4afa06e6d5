package io.sparkgan.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One replica of the GAN: the graphs an executor needs for one training step. It holds no training
 * state; the driver sets the parameters before every round, so a retried task computes exactly what
 * the first attempt did.
 *
 * <p>Three SameDiff graphs share nothing but parameter names: G alone (z → images), the
 * discriminator round (real and fake images → D's loss and gradient), and the generator round
 * (z → G → D → G's loss and gradient, D held fixed because only G's gradient is asked for).
 */
public final class GanReplica {
    private final GanArchitecture architecture;
    private final ParamLayout generatorLayout;
    private final ParamLayout discriminatorLayout;
    private final DataType dtype;
    private final SameDiff generatorGraph;
    private final SameDiff discriminatorRound;
    private final SameDiff generatorRound;
    private final List<String> generatorNames;
    private final List<String> discriminatorNames;
    /**
     * The latest parameters, copied into a graph only when that graph runs: a D round never runs the
     * G-through-D graph, so copying every vector into every graph each round would be wasted work.
     */
    private INDArray generatorParams;
    private INDArray discriminatorParams;
    private final java.util.Map<SameDiff, INDArray[]> copiedInto = new java.util.IdentityHashMap<>();

    /** What one round on one minibatch produced: the summed gradient and summed statistics. */
    public record RoundOutput(INDArray gradient, double lossSum, double realScoreSum, double fakeScoreSum) {}

    public GanReplica(GanArchitecture architecture, GanLoss loss, double realTarget, DataType dtype) {
        SameDiffOutputFilter.install();
        this.architecture = architecture;
        this.dtype = dtype;
        this.generatorLayout = Dcgan.generatorLayout(architecture);
        this.discriminatorLayout = Dcgan.discriminatorLayout(architecture);
        this.generatorNames = names(generatorLayout);
        this.discriminatorNames = names(discriminatorLayout);
        long[] imageShape = {-1, architecture.channels(), architecture.imageSize(), architecture.imageSize()};

        generatorGraph = SameDiff.create();
        Dcgan.declare(generatorGraph, generatorLayout, dtype);
        SDVariable z = generatorGraph.placeHolder("z", dtype, -1, architecture.latentDim());
        Dcgan.generator(generatorGraph, z, architecture).rename("images");

        discriminatorRound = SameDiff.create();
        Dcgan.declare(discriminatorRound, discriminatorLayout, dtype);
        SDVariable real = discriminatorRound.placeHolder("real", dtype, imageShape);
        SDVariable fake = discriminatorRound.placeHolder("fake", dtype, imageShape);
        SDVariable realLogits = Dcgan.discriminatorLogits(discriminatorRound, real, architecture);
        SDVariable fakeLogits = Dcgan.discriminatorLogits(discriminatorRound, fake, architecture);
        loss.discriminatorLoss(discriminatorRound, realLogits, fakeLogits, realTarget).rename("loss");
        loss.score(discriminatorRound, realLogits).sum().rename("real_score");
        loss.score(discriminatorRound, fakeLogits).sum().rename("fake_score");
        discriminatorRound.setLossVariables("loss");

        generatorRound = SameDiff.create();
        Dcgan.declare(generatorRound, generatorLayout, dtype);
        Dcgan.declare(generatorRound, discriminatorLayout, dtype);
        SDVariable gz = generatorRound.placeHolder("z", dtype, -1, architecture.latentDim());
        SDVariable images = Dcgan.generator(generatorRound, gz, architecture);
        SDVariable logits = Dcgan.discriminatorLogits(generatorRound, images, architecture);
        loss.generatorLoss(generatorRound, logits).rename("loss");
        loss.score(generatorRound, logits).sum().rename("fake_score");
        generatorRound.setLossVariables("loss");
    }

    public GanArchitecture architecture() {
        return architecture;
    }

    public ParamLayout generatorLayout() {
        return generatorLayout;
    }

    public ParamLayout discriminatorLayout() {
        return discriminatorLayout;
    }

    public DataType dtype() {
        return dtype;
    }

    public void setGenerator(float[] params) {
        setGenerator(Nd4j.createFromArray(params));
    }

    public void setDiscriminator(float[] params) {
        setDiscriminator(Nd4j.createFromArray(params));
    }

    /** Sets G's parameters from a flat vector in {@link #generatorLayout()} order. */
    public void setGenerator(INDArray flat) {
        checkLength(generatorLayout, flat);
        generatorParams = flat;
        copiedInto.values().forEach(held -> held[0] = null); // even the same array may hold new values
    }

    /** Sets D's parameters from a flat vector in {@link #discriminatorLayout()} order. */
    public void setDiscriminator(INDArray flat) {
        checkLength(discriminatorLayout, flat);
        discriminatorParams = flat;
        copiedInto.values().forEach(held -> held[1] = null);
    }

    /** Copies the latest G and/or D parameters into {@code graph} unless it already holds them. */
    private void sync(SameDiff graph, boolean generator, boolean discriminator) {
        INDArray[] held = copiedInto.computeIfAbsent(graph, g -> new INDArray[2]);
        if (generator) {
            requireSet(generatorParams, "generator");
            if (held[0] != generatorParams) {
                assign(graph, generatorLayout, generatorParams);
                held[0] = generatorParams;
            }
        }
        if (discriminator) {
            requireSet(discriminatorParams, "discriminator");
            if (held[1] != discriminatorParams) {
                assign(graph, discriminatorLayout, discriminatorParams);
                held[1] = discriminatorParams;
            }
        }
    }

    private static void requireSet(INDArray params, String network) {
        if (params == null) {
            throw new IllegalStateException("the " + network + "'s parameters were never set");
        }
    }

    private static void checkLength(ParamLayout layout, INDArray flat) {
        if (flat.length() != layout.size()) {
            throw new IllegalArgumentException("parameter vector has " + flat.length()
                    + " values, the network needs " + layout.size());
        }
    }

    /** G(z) for z of shape [n, latentDim]; images NCHW in [-1, 1]. */
    public INDArray generate(INDArray z) {
        sync(generatorGraph, true, false);
        return generatorGraph.output(Map.of("z", z.castTo(dtype)), "images").get("images");
    }

    /** D's loss and its gradient with respect to D's parameters, summed over both image batches. */
    public RoundOutput discriminatorRound(INDArray real, INDArray fake) {
        sync(discriminatorRound, false, true);
        OutAndGrad result = discriminatorRound.calculateGradientsAndOutputs(
                Map.of("real", real.castTo(dtype), "fake", fake.castTo(dtype)),
                List.of("loss", "real_score", "fake_score"), discriminatorNames);
        Map<String, INDArray> out = result.getOutputs();
        return new RoundOutput(flatten(result.getGradients(), discriminatorNames),
                out.get("loss").getDouble(0), out.get("real_score").getDouble(0),
                out.get("fake_score").getDouble(0));
    }

    /** G's loss through D and its gradient with respect to G's parameters only. */
    public RoundOutput generatorRound(INDArray z) {
        sync(generatorRound, true, true);
        OutAndGrad result = generatorRound.calculateGradientsAndOutputs(
                Map.of("z", z.castTo(dtype)), List.of("loss", "fake_score"), generatorNames);
        Map<String, INDArray> out = result.getOutputs();
        return new RoundOutput(flatten(result.getGradients(), generatorNames),
                out.get("loss").getDouble(0), Double.NaN, out.get("fake_score").getDouble(0));
    }

    /** A standalone copy of G (placeholder {@code z}, output {@code images}) with the given parameters. */
    public SameDiff exportGenerator(INDArray flat) {
        SameDiff copy = generatorGraph.dup();
        assign(copy, generatorLayout, flat);
        return copy;
    }

    /** A standalone D (placeholder {@code images}, output {@code logits}) with the given parameters. */
    public SameDiff exportDiscriminator(INDArray flat) {
        SameDiff sd = SameDiff.create();
        Dcgan.declare(sd, discriminatorLayout, dtype);
        long[] imageShape = {-1, architecture.channels(), architecture.imageSize(), architecture.imageSize()};
        SDVariable images = sd.placeHolder("images", dtype, imageShape);
        Dcgan.discriminatorLogits(sd, images, architecture).rename("logits");
        assign(sd, discriminatorLayout, flat);
        return sd;
    }

    private void assign(SameDiff sd, ParamLayout layout, INDArray flat) {
        checkLength(layout, flat);
        INDArray typed = flat.dataType() == dtype ? flat : flat.castTo(dtype);
        for (ParamLayout.Param p : layout.params()) {
            INDArray slice = typed.get(NDArrayIndex.interval(p.offset(), p.offset() + p.length()));
            sd.getVariable(p.name()).getArr().assign(slice.reshape('c', p.shape()));
        }
    }

    private static INDArray flatten(Map<String, INDArray> gradients, List<String> order) {
        List<INDArray> parts = new ArrayList<>(order.size());
        for (String name : order) {
            parts.add(gradients.get(name));
        }
        return Nd4j.toFlattened('c', parts);
    }

    private static List<String> names(ParamLayout layout) {
        List<String> names = new ArrayList<>();
        for (ParamLayout.Param p : layout.params()) {
            names.add(p.name());
        }
        return List.copyOf(names);
    }
}

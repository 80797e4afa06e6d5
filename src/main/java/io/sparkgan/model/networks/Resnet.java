package io.sparkgan.model.networks;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.Kernels.Window;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.layers.BatchNorm;
import io.sparkgan.model.layers.Bias;
import io.sparkgan.model.layers.Convolution;
import io.sparkgan.model.layers.Dense;
import io.sparkgan.model.layers.LeakyRelu;
import io.sparkgan.model.layers.Reshape;
import io.sparkgan.model.layers.Sequential;
import io.sparkgan.model.layers.SumPool;
import io.sparkgan.model.layers.Tanh;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Pass;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The residual GAN of SNGAN (Miyato et al., "Spectral Normalization for Generative Adversarial
 * Networks", 2018, appendix B) and of the projection discriminator (Miyato and Koyama 2018):
 *
 * <pre>
 *   G: z → dense → base×base → ResidualUp × stages → BN → ReLU → conv 3×3 → tanh
 *   D: x → ResidualDown (first) → ResidualDown × (stages − 1) → ResidualDown (same side) → ReLU
 *        → sum over positions → dense → logit (+ ⟨φ, E[y]⟩ when conditional)
 * </pre>
 *
 * A conditional G takes its class through class-conditional batch norm in every block, not next to z.
 * Widths follow {@link GanArchitecture}'s rule, as DCGAN's do: G's feature maps double from
 * {@code gFeatures} at the image side toward the base grid, D's double from {@code dFeatures} after its
 * first block.
 */
public final class Resnet implements GanNetwork {
    private final GanArchitecture a;
    private final Sequential project;
    private final List<ResidualUp> upBlocks = new ArrayList<>();
    private final Sequential toImage;
    private final List<ResidualDown> downBlocks = new ArrayList<>();
    private final LogitHead head;
    private final ParamLayout generatorLayout;
    private final ParamLayout discriminatorLayout;

    Resnet(GanArchitecture a) {
        this.a = a;
        int base = a.baseSize();
        long projected = (long) a.generatorChannels(0) * base * base;
        this.project = Sequential.builder()
                .add(new Dense(G_PROJECT, a.latentDim(), projected))
                .add(new Bias(G_PROJECT, a.latentDim(), projected))
                .add(new Reshape(a.generatorChannels(0), base, base))
                .build();
        for (int s = 1; s <= a.stages(); s++) {
            upBlocks.add(new ResidualUp("g/block" + s, a.generatorChannels(s - 1), channelsAfterBlock(s),
                    a.classes()));
        }
        int last = channelsAfterBlock(a.stages());
        this.toImage = Sequential.builder()
                .add(new BatchNorm("g/out", last))
                .add(LeakyRelu.RELU)
                .add(Convolution.of("g/out", last, a.channels(), Window.SAME_3X3, true))
                .add(Tanh.TANH)
                .build();
        int in = a.channels();
        for (int s = 0; s < a.stages(); s++) {
            downBlocks.add(new ResidualDown("d/block" + s, in, a.discriminatorChannels(s), s == 0, true));
            in = a.discriminatorChannels(s);
        }
        downBlocks.add(new ResidualDown("d/block" + a.stages(), in, in, false, false));
        this.head = new LogitHead(in, a.classes());

        ParamLayout.Builder g = ParamLayout.builder();
        project.declare(g);
        upBlocks.forEach(b -> b.declare(g));
        toImage.declare(g);
        this.generatorLayout = g.build();
        ParamLayout.Builder d = ParamLayout.builder();
        downBlocks.forEach(b -> b.declare(d));
        head.declare(d);
        this.discriminatorLayout = d.build();
    }

    /** G's feature maps after block s: the architecture's stage widths, the last block keeping its input's. */
    private int channelsAfterBlock(int s) {
        return a.generatorChannels(Math.min(s, a.stages() - 1));
    }

    /** D's features before its logit (what the projection term multiplies). */
    public static long discriminatorFeatures(GanArchitecture a) {
        return a.discriminatorChannels(a.stages() - 1);
    }

    @Override
    public ParamLayout generatorLayout() {
        return generatorLayout;
    }

    @Override
    public ParamLayout discriminatorLayout() {
        return discriminatorLayout;
    }

    @Override
    public Pass generator(Params g, INDArray z, INDArray oneHot) {
        Tape tape = new Tape();
        Node h = project.apply(tape, g, tape.input(z));
        for (ResidualUp block : upBlocks) {
            h = block.apply(tape, g, h, oneHot);
        }
        return tape.pass(toImage.apply(tape, g, h), generatorLayout);
    }

    @Override
    public Pass discriminator(Params d, Dual x, INDArray oneHot) {
        Tape tape = new Tape();
        Node h = tape.input(x);
        for (ResidualDown block : downBlocks) {
            h = block.apply(tape, d, h);
        }
        Node phi = SumPool.SPATIAL.apply(tape, d, LeakyRelu.RELU.apply(tape, d, h));
        return tape.pass(head.apply(tape, d, phi, oneHot), discriminatorLayout);
    }

    @Override
    public SDVariable generatorGraph(SameDiff sd, SDVariable z, SDVariable oneHot) {
        SDVariable h = project.graph(sd, z);
        for (ResidualUp block : upBlocks) {
            h = block.graph(sd, h, oneHot);
        }
        return toImage.graph(sd, h);
    }

    @Override
    public SDVariable discriminatorGraph(SameDiff sd, SDVariable x, SDVariable oneHot) {
        SDVariable h = x;
        for (ResidualDown block : downBlocks) {
            h = block.graph(sd, h);
        }
        return head.graph(sd, SumPool.SPATIAL.graph(sd, LeakyRelu.RELU.graph(sd, h)), oneHot);
    }
}

package io.sparkgan.model.networks;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.Kernels.Window;
import io.sparkgan.model.Normalisation;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.layers.BatchNorm;
import io.sparkgan.model.layers.Bias;
import io.sparkgan.model.layers.Convolution;
import io.sparkgan.model.layers.Dense;
import io.sparkgan.model.layers.PerImageNorm;
import io.sparkgan.model.layers.LeakyRelu;
import io.sparkgan.model.layers.Reshape;
import io.sparkgan.model.layers.Sequential;
import io.sparkgan.model.layers.Tanh;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Pass;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * DCGAN (Radford, Metz and Chintala 2016), as pytorch/examples' dcgan builds it: G projects z to the
 * base grid and doubles the side with 4×4 stride-2 transposed convolutions, batch norm and ReLU
 * between, tanh at the end; D halves the side with 4×4 stride-2 convolutions and leaky ReLU (no
 * normalisation in its first stage), then one logit. A conditional pair takes the class one-hot next
 * to z in G and adds a projection term in D. {@link GanArchitecture} says why these sizes.
 */
public final class Dcgan implements GanNetwork {
    private final GanArchitecture a;
    private final Sequential generator;
    private final Sequential features;
    private final LogitHead head;
    private final ParamLayout generatorLayout;
    private final ParamLayout discriminatorLayout;

    Dcgan(GanArchitecture a) {
        this.a = a;
        this.generator = generator(a);
        this.features = features(a);
        this.head = new LogitHead(a.discriminatorFeatures(), a.classes());
        ParamLayout.Builder g = ParamLayout.builder();
        generator.declare(g);
        this.generatorLayout = g.build();
        ParamLayout.Builder d = ParamLayout.builder();
        features.declare(d);
        head.declare(d);
        this.discriminatorLayout = d.build();
    }

    /** G's s-th upsampling stage (1-based; the last one outputs the image). */
    public static String generatorStage(int s) {
        return "g/up" + s;
    }

    /** D's s-th stride-2 stage (0-based). */
    public static String discriminatorStage(int s) {
        return "d/down" + s;
    }

    private static Sequential generator(GanArchitecture a) {
        int base = a.baseSize();
        int c0 = a.generatorChannels(0);
        long projected = (long) c0 * base * base;
        boolean batchNorm = a.generatorBatchNorm();
        Sequential.Builder g = Sequential.builder()
                .add(new Dense(G_PROJECT, a.generatorInputs(), projected)) // z, then the class one-hot
                .addIf(!batchNorm, new Bias(G_PROJECT, a.generatorInputs(), projected)) // per unit, not per channel
                .add(new Reshape(c0, base, base))
                .addIf(batchNorm, new BatchNorm(G_PROJECT, c0))
                .add(LeakyRelu.RELU);
        for (int s = 1; s <= a.stages(); s++) {
            boolean last = s == a.stages();
            int out = last ? a.channels() : a.generatorChannels(s);
            boolean norm = batchNorm && !last;
            g.add(Convolution.transposed(generatorStage(s), a.generatorChannels(s - 1), out, Window.DCGAN, !norm))
                    .addIf(norm, new BatchNorm(generatorStage(s), out))
                    .add(last ? Tanh.TANH : LeakyRelu.RELU);
        }
        return g.build();
    }

    /** D up to its features: stride-2 stages, then flattened. */
    private static Sequential features(GanArchitecture a) {
        Sequential.Builder d = Sequential.builder();
        int in = a.channels();
        for (int s = 0; s < a.stages(); s++) {
            int out = a.discriminatorChannels(s);
            Normalisation norm = discriminatorStageNorm(a, s);
            d.add(Convolution.of(discriminatorStage(s), in, out, Window.DCGAN, !norm.hasScaleAndOffset()));
            if (norm == Normalisation.BATCH) {
                d.add(new BatchNorm(discriminatorStage(s), out));
            } else if (norm == Normalisation.LAYER) {
                d.add(PerImageNorm.layer(discriminatorStage(s), out));
            }
            d.add(LeakyRelu.DCGAN);
            in = out;
        }
        return d.add(new Reshape(a.discriminatorFeatures())).build();
    }

    /** The normalisation of D's stage {@code s}: none in the first (DCGAN's choice), the configured one after. */
    static Normalisation discriminatorStageNorm(GanArchitecture a, int s) {
        return s == 0 ? Normalisation.NONE : a.discriminatorNorm();
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
        INDArray input = a.conditional() ? Nd4j.hstack(z, oneHot) : z;
        return tape.pass(generator.apply(tape, g, tape.input(input)), generatorLayout);
    }

    @Override
    public Pass discriminator(Params d, Dual x, INDArray oneHot) {
        Tape tape = new Tape();
        Node phi = features.apply(tape, d, tape.input(x));
        return tape.pass(head.apply(tape, d, phi, oneHot), discriminatorLayout);
    }

    @Override
    public SDVariable generatorGraph(SameDiff sd, SDVariable z, SDVariable oneHot) {
        return generator.graph(sd, a.conditional() ? sd.concat(1, z, oneHot) : z);
    }

    @Override
    public SDVariable discriminatorGraph(SameDiff sd, SDVariable x, SDVariable oneHot) {
        return head.graph(sd, features.graph(sd, x), oneHot);
    }
}

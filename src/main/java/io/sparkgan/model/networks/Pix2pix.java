package io.sparkgan.model.networks;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.Noise;
import io.sparkgan.model.NoiseMode;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.layers.Sequential;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Pass;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * pix2pix (Isola, Zhu, Zhou and Efros, "Image-to-Image Translation with Conditional Adversarial
 * Networks", 2017): a U-Net G from the input image to the output ({@link UNetLevel}) and a PatchGAN D
 * on (input, output) pairs ({@link PatchGan}). G's only noise is dropout; its masks come from the
 * batch's draws ({@link Styling#draws}: seed, step, slot), so that a run is the same bits on any number
 * of workers. Without draws (or with noise mode none) G runs without dropout, which is also the graph
 * an export holds.
 */
public final class Pix2pix implements GanNetwork {
    private final GanArchitecture a;
    private final UNetLevel generator;
    private final Sequential discriminator;
    private final ParamLayout generatorLayout;
    private final ParamLayout discriminatorLayout;
    private final List<int[]> maskShapes = new ArrayList<>();

    Pix2pix(GanArchitecture a) {
        this.a = a;
        this.generator = UNetLevel.generator(a);
        this.discriminator = PatchGan.discriminator(a);
        ParamLayout.Builder g = ParamLayout.builder();
        generator.declare(g);
        this.generatorLayout = g.build();
        ParamLayout.Builder d = ParamLayout.builder();
        discriminator.declare(d);
        this.discriminatorLayout = d.build();
        generator.maskShapes(maskShapes);
    }

    @Override
    public ParamLayout generatorLayout() {
        return generatorLayout;
    }

    @Override
    public ParamLayout discriminatorLayout() {
        return discriminatorLayout;
    }

    /** G without dropout: the input images [n, channels, side, side] → outputs of the same shape. */
    @Override
    public Pass generator(Params g, INDArray images, INDArray oneHot) {
        return generator(g, images, oneHot, Styling.PLAIN);
    }

    /** G with dropout where {@code styling} has random noise and the batch's draws. */
    @Override
    public Pass generator(Params g, INDArray images, INDArray oneHot, Styling styling) {
        Tape tape = new Tape();
        List<INDArray> masks = styling.noise() == NoiseMode.RANDOM ? masks(styling.draws(), (int) images.size(0),
                images.dataType()) : null;
        return tape.pass(generator.apply(tape, g, tape.input(images), masks, 0), generatorLayout);
    }

    /** Each dropping level's mask for this batch: layer l of the draws' round, per slot. */
    private List<INDArray> masks(Styling.Draws draws, int n, DataType type) {
        List<INDArray> masks = new ArrayList<>();
        for (int l = 0; l < maskShapes.size(); l++) {
            int[] shape = maskShapes.get(l);
            float[] mask = Noise.dropout(draws.seed(), draws.step(), draws.round(), l, draws.firstSlot(), n,
                    shape[0] * shape[1] * shape[2], UNetLevel.DROPOUT_RATE);
            masks.add(Nd4j.create(mask, new long[] {n, shape[0], shape[1], shape[2]}, 'c').castTo(type));
        }
        return masks;
    }

    /** D's patch logits [n, patches] for pairs [n, 2·channels, side, side], input first. */
    @Override
    public Pass discriminator(Params d, Dual pairs, INDArray oneHot) {
        Tape tape = new Tape();
        return tape.pass(discriminator.apply(tape, d, tape.input(pairs)), discriminatorLayout);
    }

    @Override
    public SDVariable generatorGraph(SameDiff sd, SDVariable images, SDVariable oneHot) {
        return generator.graph(sd, images);
    }

    @Override
    public SDVariable discriminatorGraph(SameDiff sd, SDVariable pairs, SDVariable oneHot) {
        return discriminator.graph(sd, pairs);
    }
}

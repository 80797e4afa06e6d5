package io.sparkgan.model.networks;

import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.ParamLayout.Init;
import io.sparkgan.model.layers.Bias;
import io.sparkgan.model.layers.Concat;
import io.sparkgan.model.layers.Dense;
import io.sparkgan.model.layers.LeakyRelu;
import io.sparkgan.model.layers.PixelNorm;
import io.sparkgan.model.layers.Sequential;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * StyleGAN's mapping network f: z → w (Karras et al. 2019, section 2; StyleGAN2-ADA's form): z
 * normalised to unit second moment, joined in a conditional GAN by the class embedded and normalised
 * alike, then dense layers with leaky ReLU whose learning rate is 0.01 of the rest's. It also keeps
 * w̄, the running mean of its outputs in training (β = 0.995 per generator update), which truncation
 * moves toward.
 */
final class MappingNetwork {
    /** w̄'s decay per generator update (StyleGAN2's w_avg_beta). */
    static final double W_AVERAGE_BETA = 0.995;
    /** The mapping layers' learning-rate multiplier. */
    private static final double MULTIPLIER = 0.01;
    static final String W_AVERAGE = "g/mapping/w_avg";
    static final String EMBED = "g/mapping/embed";
    private final Sequential embed;
    private final Sequential layers;
    private final int latentDim;

    MappingNetwork(int latentDim, int wDim, int classes, int depth) {
        this.latentDim = latentDim;
        this.embed = classes == 0 ? null : Sequential.builder()
                .add(Dense.equalised(EMBED, classes, wDim, 1))
                .add(Bias.equalised(EMBED, wDim, Init.ZERO, 1))
                .add(PixelNorm.CHANNELS)
                .build();
        Sequential.Builder b = Sequential.builder();
        long in = classes == 0 ? latentDim : latentDim + wDim;
        for (int i = 0; i < depth; i++) {
            String name = layer(i);
            b.add(Dense.equalised(name, in, wDim, MULTIPLIER))
                    .add(Bias.equalised(name, wDim, Init.ZERO, MULTIPLIER))
                    .add(LeakyRelu.STYLEGAN);
            in = wDim;
        }
        this.layers = b.build();
    }

    /** The name of dense layer {@code i}. */
    static String layer(int i) {
        return "g/mapping/fc" + i;
    }

    void declare(ParamLayout.Builder layout, int wDim) {
        if (embed != null) {
            embed.declare(layout);
        }
        layers.declare(layout);
        layout.tracked(W_AVERAGE, W_AVERAGE_BETA, wDim);
    }

    /** w [n, wDim] for z [n, latentDim] (a node of the tape) and the classes' one-hot (null: unconditional). */
    Node apply(Tape tape, Params p, Node z, INDArray oneHot) {
        Node h = PixelNorm.CHANNELS.apply(tape, p, z);
        if (embed != null) {
            h = Concat.CHANNELS.apply(tape, h, embed.apply(tape, p, tape.input(oneHot)));
        }
        return layers.apply(tape, p, h);
    }

    SDVariable graph(SameDiff sd, SDVariable z, SDVariable oneHot) {
        SDVariable h = PixelNorm.CHANNELS.graph(sd, z);
        if (embed != null) {
            h = Concat.CHANNELS.graph(sd, h, embed.graph(sd, oneHot));
        }
        return layers.graph(sd, h);
    }

    int latentDim() {
        return latentDim;
    }
}

package io.sparkgan.model.networks;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanArchitecture.Family;
import io.sparkgan.model.Normalisation;
import java.util.function.Function;

/**
 * What an exported generator graph ({@code generator.sdz}) says about its network, read from its
 * weights' shapes: {@code sample} has a checkpoint's graph, not its configuration. {@code shapeOf} gives
 * a variable's shape, or null when the graph has none of that name.
 */
public final class ExportedGenerators {
    private static final String CONDITIONAL_NORM = "g/block1/norm1/gamma";

    private ExportedGenerators() {
    }

    /**
     * The classes a conditional generator with a {@code latent}-long z knows: the rows of resnet's
     * class-conditional batch norm, or DCGAN's first weights' rows beyond z.
     */
    public static int classes(Function<String, long[]> shapeOf, int latent) {
        if (isStyleGan2(shapeOf)) {
            long[] embed = shapeOf.apply(MappingNetwork.EMBED + "/W");
            return embed == null ? 0 : (int) embed[0];
        }
        long[] conditionalNorm = shapeOf.apply(CONDITIONAL_NORM);
        if (conditionalNorm != null) {
            return conditionalNorm.length == 2 ? (int) conditionalNorm[0] : 0;
        }
        return (int) shapeOf.apply(GanNetwork.G_PROJECT + "/W")[0] - latent;
    }

    /**
     * The pair an exported generator was built as, read back from its weights' shapes, as far as G's
     * kernels go (D's widths are not in the graph); null for a graph of no known network.
     */
    public static GanArchitecture architecture(Function<String, long[]> shapeOf) {
        if (isStyleGan2(shapeOf)) {
            return styleGan2(shapeOf);
        }
        if (shapeOf.apply(UNetLevel.DOWN_1 + "/W") != null) {
            return pix2pix(shapeOf);
        }
        long[] project = shapeOf.apply(GanNetwork.G_PROJECT + "/W"); // [inputs, c0·base²]
        if (project == null) {
            return null;
        }
        boolean resnet = shapeOf.apply("g/block1/conv1/W") != null;
        int stages = 0;
        while (shapeOf.apply(resnet ? "g/block" + (stages + 1) + "/conv1/W" : Dcgan.generatorStage(stages + 1) + "/W")
                != null) {
            stages++;
        }
        if (stages == 0) {
            return null;
        }
        long[] first = shapeOf.apply(resnet ? "g/block1/conv1/W" : Dcgan.generatorStage(1) + "/W");
        int c0 = (int) (resnet ? first[2] : first[3]); // conv2d [k, k, in, out]; deconv2d [k, k, out, in]
        int base = (int) Math.round(Math.sqrt(project[1] / (double) c0));
        int gFeatures = c0 >> (stages - 1);
        if (resnet) {
            long[] out = shapeOf.apply("g/out/W");
            long[] gamma = shapeOf.apply(CONDITIONAL_NORM);
            int classes = gamma != null && gamma.length == 2 ? (int) gamma[0] : 0;
            return new GanArchitecture(base << stages, (int) out[3], (int) project[0], gFeatures, gFeatures,
                    Normalisation.BATCH, Normalisation.NONE, classes, Family.RESNET);
        }
        int channels = (int) shapeOf.apply(Dcgan.generatorStage(stages) + "/W")[2];
        Normalisation norm = shapeOf.apply(GanNetwork.G_PROJECT + "/gamma") != null ? Normalisation.BATCH
                : Normalisation.NONE;
        // a conditional DCGAN's extra inputs are the one-hot; its width does not change the kernels' shapes
        return new GanArchitecture(base << stages, channels, (int) project[0], gFeatures, gFeatures, norm,
                Normalisation.NONE, 0);
    }

    /** Whether the graph is StyleGAN2's: it keeps the mapping network's w̄. */
    public static boolean isStyleGan2(Function<String, long[]> shapeOf) {
        return shapeOf.apply(MappingNetwork.W_AVERAGE) != null;
    }

    /** pix2pix's U-Net from its weights: a level per halving down to 1×1, its outermost convolution's widths. */
    private static GanArchitecture pix2pix(Function<String, long[]> shapeOf) {
        int levels = 0;
        while (shapeOf.apply("g/down" + (levels + 1) + "/W") != null) {
            levels++;
        }
        long[] first = shapeOf.apply(UNetLevel.DOWN_1 + "/W"); // conv2d [k, k, in, out]
        return new GanArchitecture(1 << levels, (int) first[2], 0, (int) first[3], (int) first[3],
                Normalisation.INSTANCE, Normalisation.INSTANCE, 0, Family.PIX2PIX);
    }

    /** StyleGAN2's G from its weights: the resolutions, the widths at the image side, z, the mapping depth. */
    private static GanArchitecture styleGan2(Function<String, long[]> shapeOf) {
        int side = 4;
        while (shapeOf.apply(SynthesisBlock.name(side * 2) + "/conv1/W") != null) {
            side *= 2;
        }
        int features = (int) shapeOf.apply(SynthesisBlock.name(side) + "/conv1/W")[3];
        int channels = (int) shapeOf.apply(SynthesisBlock.name(4) + "/torgb/W")[3];
        int latent = (int) shapeOf.apply(MappingNetwork.W_AVERAGE)[0];
        int layers = 0;
        while (shapeOf.apply(MappingNetwork.layer(layers) + "/W") != null) {
            layers++;
        }
        return new GanArchitecture(side, channels, latent, features, features, Normalisation.NONE, Normalisation.NONE,
                classes(shapeOf, latent), Family.STYLEGAN2, new GanArchitecture.Style(layers, 1, 0));
    }
}

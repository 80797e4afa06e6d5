package io.sparkgan.model;

import java.io.Serializable;

/**
 * The shape of a generator and discriminator pair, derived from the image size; {@code
 * networks.GanNetwork.of} builds it. First written for DCGAN (Radford, Metz and Chintala,
 * "Unsupervised Representation Learning with Deep Convolutional Generative Adversarial Networks",
 * 2015); the residual networks use the same stages and widths.
 *
 * <p>The image side is halved by stride-2 convolutions while it is even and larger than 7, which gives
 * 28 → 14 → 7 (two stages) and 64 → 32 → 16 → 8 → 4 (four stages). The generator mirrors that with
 * 4×4, stride-2, padding-1 transposed convolutions: that kernel is the one oneDNN and cuDNN run fast.
 * oneDNN's deconvolution takes no "same" padding, so a 5×5 "same" deconvolution falls to a generic
 * kernel, 8–10× slower (measured with ND4J 1.0.0-M2.1's oneDNN build when this model was chosen).
 *
 * @param imageSize side of the square images in pixels
 * @param channels image channels (1 grey, 3 RGB)
 * @param latentDim length of the noise vector z
 * @param gFeatures generator feature maps in its last hidden stage (DCGAN's ngf)
 * @param dFeatures discriminator feature maps in its first stage (DCGAN's ndf)
 * @param generatorNorm how G's hidden stages are normalised: {@link Normalisation#BATCH} or
 *     {@link Normalisation#NONE}
 * @param discriminatorNorm how D's stages after the first are normalised (DCGAN leaves the first alone)
 * @param classes the classes a conditional GAN is conditioned on, 0 for an unconditional one: G takes the
 *     class one-hot next to z, D adds a projection term (Miyato and Koyama, "cGANs with Projection
 *     Discriminator", 2018)
 * @param family which networks
 * @param style StyleGAN2's settings (the other families ignore them)
 */
public record GanArchitecture(int imageSize, int channels, int latentDim, int gFeatures, int dFeatures,
                              Normalisation generatorNorm, Normalisation discriminatorNorm, int classes,
                              Family family, Style style)
        implements Serializable {

    /**
     * StyleGAN2's settings beyond the widths.
     *
     * @param mappingLayers the mapping network's dense layers (StyleGAN2-ADA's cifar configuration: 2)
     * @param groupSize the images per group of D's minibatch standard deviation (it must divide each
     *     worker's batch)
     * @param mixing style mixing regularisation's probability per generated image in training (StyleGAN2's
     *     0.9), 0 for none
     */
    public record Style(int mappingLayers, int groupSize, double mixing) implements Serializable {
        public static final Style DEFAULT = new Style(2, 4, 0.9);

        public Style {
            if (mappingLayers < 1 || groupSize < 1 || !(mixing >= 0 && mixing <= 1)) {
                throw new IllegalArgumentException("the mapping network needs a layer, the minibatch standard"
                        + " deviation groups of at least one image, and mixing is a probability");
            }
        }
    }

    /**
     * Which networks (model.architecture): DCGAN's (Radford et al.), or SNGAN's residual ones (Miyato et
     * al. 2018), whose G always batch-normalises (class-conditionally in a conditional GAN) and whose D
     * never does. Each brings its own defaults (reference.conf's {@code architectures} section).
     */
    public enum Family {
        DCGAN, RESNET, STYLEGAN2, PIX2PIX;

        /** The configuration's word for it. */
        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /**
         * Whether the family builds images of this side: both halve it, stage by stage, down to a 3..7
         * pixel grid (a family with other sizes says so here).
         */
        public boolean builds(int imageSize) {
            if (this == STYLEGAN2) { // from its 4×4 constant, doubling
                return imageSize >= 16 && imageSize <= 128 && Integer.bitCount(imageSize) == 1;
            }
            if (this == PIX2PIX) { // its U-Net halves the side down to 1×1
                return imageSize >= 16 && imageSize <= 256 && Integer.bitCount(imageSize) == 1;
            }
            return stagesFor(imageSize) >= 1;
        }

        /** What {@link #builds} accepts, for messages. */
        public String sizes() {
            return switch (this) {
                case STYLEGAN2 -> "a power of two from 16 to 128: 16, 32, 64 or 128";
                case PIX2PIX -> "a power of two from 16 to 256: 16, 32, 64, 128 or 256";
                default -> "a size that halves down to a 3..7 pixel grid, e.g. 16, 28, 32, 48, 64, 128";
            };
        }

        /** Whether its generator maps an image to an image (a dataset of pairs), not noise to an image. */
        public boolean translates() {
            return this == PIX2PIX;
        }
    }

    /** A pair of {@code family}'s networks with StyleGAN2's default settings. */
    public GanArchitecture(int imageSize, int channels, int latentDim, int gFeatures, int dFeatures,
                           Normalisation generatorNorm, Normalisation discriminatorNorm, int classes, Family family) {
        this(imageSize, channels, latentDim, gFeatures, dFeatures, generatorNorm, discriminatorNorm, classes, family,
                Style.DEFAULT);
    }

    /** A DCGAN pair conditioned on {@code classes} classes (0: unconditional). */
    public GanArchitecture(int imageSize, int channels, int latentDim, int gFeatures, int dFeatures,
                           Normalisation generatorNorm, Normalisation discriminatorNorm, int classes) {
        this(imageSize, channels, latentDim, gFeatures, dFeatures, generatorNorm, discriminatorNorm, classes,
                Family.DCGAN);
    }

    /** An unconditional DCGAN pair. */
    public GanArchitecture(int imageSize, int channels, int latentDim, int gFeatures, int dFeatures,
                           Normalisation generatorNorm, Normalisation discriminatorNorm) {
        this(imageSize, channels, latentDim, gFeatures, dFeatures, generatorNorm, discriminatorNorm, 0);
    }

    public GanArchitecture {
        if (classes < 0 || classes == 1) {
            throw new IllegalArgumentException("a conditional GAN needs at least 2 classes, got " + classes);
        }
        if (!family.builds(imageSize)) {
            throw new IllegalArgumentException(family.key() + " cannot build images of side " + imageSize
                    + "; use " + family.sizes());
        }
        if (generatorNorm == Normalisation.LAYER) {
            throw new IllegalArgumentException("the generator takes batch normalisation or none, not layer");
        }
        boolean instance = generatorNorm == Normalisation.INSTANCE || discriminatorNorm == Normalisation.INSTANCE;
        if (family == Family.PIX2PIX ? generatorNorm != Normalisation.INSTANCE
                || discriminatorNorm != Normalisation.INSTANCE : instance) {
            throw new IllegalArgumentException("instance norm is pix2pix's, in both of its networks");
        }
        if (family == Family.PIX2PIX && classes > 0) {
            throw new IllegalArgumentException("pix2pix is conditioned on its input image, not on a class");
        }
        if (family == Family.RESNET && (generatorNorm != Normalisation.BATCH || discriminatorNorm != Normalisation.NONE)) {
            throw new IllegalArgumentException("resnet's G batch-normalises and its D does not normalise");
        }
        if (family == Family.STYLEGAN2 && (generatorNorm != Normalisation.NONE || discriminatorNorm != Normalisation.NONE)) {
            throw new IllegalArgumentException("stylegan2's networks have no batch or layer normalisation");
        }
    }

    /** Whether G and D are conditioned on a class. */
    public boolean conditional() {
        return classes > 0;
    }

    /** Length of DCGAN's G input: z, then the class one-hot of a conditional GAN. */
    public int generatorInputs() {
        return latentDim + classes;
    }

    /**
     * Length of D's features before its logit (what the projection term multiplies): DCGAN's last
     * feature maps flattened, the residual D's summed over positions.
     */
    public long discriminatorFeatures() {
        long channels = discriminatorChannels(stages() - 1);
        return family == Family.DCGAN ? channels * baseSize() * baseSize() : channels;
    }

    /** Whether G's hidden stages are batch-normalised. */
    public boolean generatorBatchNorm() {
        return generatorNorm == Normalisation.BATCH;
    }

    /**
     * Whether D's output for an image depends on that image alone, so that per-image input gradients
     * (gradient penalties) exist: not with batch normalisation, which mixes the batch.
     */
    public boolean discriminatorIsPerImage() {
        return discriminatorNorm != Normalisation.BATCH;
    }

    /** Number of stride-2 stages between the base grid and the image, or 0 if the size does not work. */
    public static int stagesFor(int imageSize) {
        int size = imageSize;
        int stages = 0;
        while (size % 2 == 0 && size > 7) {
            size /= 2;
            stages++;
        }
        return size >= 3 ? stages : 0;
    }

    public int stages() {
        return stagesFor(imageSize);
    }

    /** Side of the smallest feature grid (7 for 28×28, 4 for 64×64). */
    public int baseSize() {
        return imageSize >> stages();
    }

    /** Generator feature maps after its projection (stage 0) and after each upsampling stage. */
    public int generatorChannels(int stage) {
        return gFeatures << (stages() - 1 - stage);
    }

    /** Discriminator feature maps after each stride-2 convolution. */
    public int discriminatorChannels(int stage) {
        return dFeatures << stage;
    }

    /** Channels of what D judges: an image, or a translation's (input, output) pair joined. */
    public int judgedChannels() {
        return family.translates() ? 2 * channels : channels;
    }

    public int pixelsPerImage() {
        return channels * imageSize * imageSize;
    }
}

package io.sparkgan.model.networks;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.Kernels.Window;
import io.sparkgan.model.layers.Convolution;
import io.sparkgan.model.layers.LeakyRelu;
import io.sparkgan.model.layers.PerImageNorm;
import io.sparkgan.model.layers.Reshape;
import io.sparkgan.model.layers.Sequential;

/**
 * pix2pix's PatchGAN discriminator (Isola et al. 2017, section 3.2.2 and appendix 6.1.2): it judges a
 * pair, the input and an output joined channel-wise, patch by patch, with a logit per overlapping patch.
 * n stride-2 4×4 convolutions (the first without norm), one stride-1 4×4 convolution, then a stride-1
 * 4×4 convolution to one channel; leaky ReLU 0.2 and instance norm between. The paper's 70×70 patches on
 * 256×256 images come from n = 3; here n = max(1, log₂(side) − 5), which keeps the patch near a quarter
 * of the side from 128 up (34 pixels at 128) and gives 16-pixel patches below (half a 32×32 image).
 */
final class PatchGan {
    /** 4×4, stride 1, padding 1: the last two convolutions (the side shrinks by one each). */
    static final Window PATCH = new Window(4, 1, 1);

    private PatchGan() {
    }

    static int strided(int imageSize) {
        return Math.max(1, UNetLevel.levels(imageSize) - 5);
    }

    /** Side of the grid of patch logits. */
    static int patchSide(int imageSize) {
        return (int) PATCH.convolved(PATCH.convolved(imageSize >> strided(imageSize)));
    }

    static int width(GanArchitecture a, int k) {
        return a.dFeatures() * Math.min(1 << k, 8);
    }

    /** D on a pair: [n, 2·channels, side, side] → [n, patches] logits. */
    static Sequential discriminator(GanArchitecture a) {
        int n = strided(a.imageSize());
        Sequential.Builder d = Sequential.builder()
                .add(Convolution.of("d/patch0", 2 * a.channels(), width(a, 0), Window.DCGAN, true))
                .add(LeakyRelu.DCGAN);
        for (int k = 1; k < n; k++) {
            d.add(Convolution.of("d/patch" + k, width(a, k - 1), width(a, k), Window.DCGAN, false))
                    .add(PerImageNorm.instance("d/patch" + k, width(a, k)))
                    .add(LeakyRelu.DCGAN);
        }
        int side = patchSide(a.imageSize());
        return d.add(Convolution.of("d/patch" + n, width(a, n - 1), width(a, n), PATCH, false))
                .add(PerImageNorm.instance("d/patch" + n, width(a, n)))
                .add(LeakyRelu.DCGAN)
                .add(Convolution.of(GanNetwork.D_LOGIT, width(a, n), 1, PATCH, true))
                .add(new Reshape((long) side * side))
                .build();
    }
}

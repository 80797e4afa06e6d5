package io.sparkgan.eval;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.image.ResizeBilinear;
import org.nd4j.linalg.factory.Nd4j;

/**
 * pytorch-fid's preprocessing for Inception, on ND4J: grey repeated to RGB, bilinear resizing to the
 * network's input at half-pixel centres without corner alignment (as
 * {@code F.interpolate(mode='bilinear', align_corners=False)}), values kept in [-1, 1].
 */
final class InceptionInput {
    private InceptionInput() {
    }

    /**
     * The network input for NCHW images in [-1, 1] with 1 or 3 channels: resized to height×width with
     * bilinear interpolation at half-pixel centres (no corner alignment), grey repeated to RGB, FLOAT,
     * laid out NHWC if {@code channelsLast} (else NCHW).
     */
    static INDArray of(INDArray nchw, int height, int width, boolean channelsLast) {
        long b = nchw.size(0);
        long c = nchw.size(1);
        INDArray nhwc = nchw.castTo(DataType.FLOAT).permute(0, 2, 3, 1).dup('c');
        INDArray resized;
        if (nchw.size(2) == height && nchw.size(3) == width) {
            resized = nhwc;
        } else {
            resized = Nd4j.create(DataType.FLOAT, b, height, width, c);
            // libnd4j's resize_bilinear takes NHWC; half_pixel_centers as TF2's tf.image.resize and
            // torch's align_corners=False: source = (dst + 0.5) * in / out - 0.5, clamped at the edges
            Nd4j.exec(new ResizeBilinear(nhwc, resized, height, width, false, true));
        }
        if (c == 1) {
            resized = Nd4j.concat(3, resized, resized, resized);
        }
        return channelsLast ? resized : resized.permute(0, 3, 1, 2).dup('c');
    }
}

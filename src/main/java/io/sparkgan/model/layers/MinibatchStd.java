package io.sparkgan.model.layers;

import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDIndex;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Minibatch standard deviation (Karras et al., "Progressive Growing of GANs", 2018, section 3; StyleGAN2's
 * form): the batch is split into groups of G images, images n and n + N/G in the same group; per group,
 * the standard deviation over its images of every feature, √(Var + 10⁻⁸), averaged over features and
 * positions, is appended to each image of the group as one more feature map. D then judges images
 * together, so the result depends on which images share a batch: with several workers, on the worker
 * count (as batch norm's does).
 *
 * <p>It carries tangents, so that R1 can be taken through it on ∇ₓ of Σ D over the batch. Per group and
 * feature, with y = x − mean and s = √(mean y² + ε): ṡ = mean(y ẏ)/s, and the second-order term of
 * Σ t̄·ṡ is t̄·(ẏ − ṡ·y/s)/(G·s) per image.
 */
public final class MinibatchStd implements Layer {
    private static final double EPSILON = 1e-8;
    private final int groupSize;
    private final int channels;
    private final int side;

    public MinibatchStd(int groupSize, int channels, int side) {
        this.groupSize = groupSize;
        this.channels = channels;
        this.side = side;
    }

    @Override
    public Node apply(Tape tape, Params p, Node x) {
        long n = x.value().size(0);
        if (n % groupSize != 0) {
            throw new IllegalArgumentException("minibatch standard deviation groups " + groupSize + " images, which"
                    + " does not divide a batch of " + n);
        }
        Groups v = new Groups(x.value());
        INDArray y = v.centred();
        INDArray s = Transforms.sqrt(v.mean(y.mul(y)).addi(EPSILON), false); // [M, P]
        INDArray yDot = x.tangent() == null ? null : new Groups(x.tangent()).centred();
        INDArray sDot = yDot == null ? null : v.mean(y.mul(yDot)).divi(s);
        Dual std = new Dual(v.toImages(s.mean(1)), sDot == null ? null : v.toImages(sDot.mean(1)));
        Node deviation = tape.record(std, x, (gradOut, sink) -> {
            INDArray gradS = v.fromImages(gradOut.value());
            INDArray gradT = v.fromImages(gradOut.tangent());
            INDArray perS = s.mul(groupSize); // ∂s/∂xᵢ = yᵢ/(G·s)
            INDArray gradX = gradS == null ? null : y.mul(v.spread(gradS.div(perS)));
            INDArray gradXDot = gradT == null ? null : y.mul(v.spread(gradT.div(perS)));
            if (gradT != null && yDot != null) {
                INDArray secondOrder = yDot.sub(y.mul(v.spread(sDot.div(s)))).muli(v.spread(gradT.div(perS)));
                gradX = gradX == null ? secondOrder : gradX.addi(secondOrder);
            }
            return new Dual(v.back(gradX), v.back(gradXDot));
        });
        return Concat.CHANNELS.apply(tape, x, deviation);
    }

    /** A batch [N, C, H, W] seen as [G, M, P]: G images per group, M = N/G groups, P = C·H·W features. */
    private final class Groups {
        private final long[] shape;
        private final long groups;
        private final long features;
        private final INDArray grouped;

        Groups(INDArray batch) {
            this.shape = batch.shape();
            this.groups = shape[0] / groupSize;
            this.features = shape[1] * shape[2] * shape[3];
            this.grouped = batch.dup('c').reshape('c', groupSize, groups, features);
        }

        /** Each image minus its group's mean, [G, M, P]. */
        INDArray centred() {
            return grouped.sub(spread(mean(grouped)));
        }

        /** The mean over each group's images of v [G, M, P]: [M, P]. */
        INDArray mean(INDArray v) {
            return v.mean(0);
        }

        /** m [M, P] repeated for the G images of each group: [G, M, P]. */
        INDArray spread(INDArray m) {
            return m.reshape(1, groups, features).repeat(0, groupSize);
        }

        /** One value per group [M] as the appended feature map, [N, 1, H, W]. */
        INDArray toImages(INDArray perGroup) {
            return perGroup.reshape(1, groups).repeat(0, groupSize).reshape(shape[0], 1, 1, 1)
                    .repeat(2, shape[2]).repeat(3, shape[3]);
        }

        /** The adjoint of {@link #toImages} followed by the mean over features: [N, 1, H, W] → ∂/∂s [M, P]. */
        INDArray fromImages(INDArray g) {
            if (g == null) {
                return null;
            }
            INDArray perGroup = g.sum(1, 2, 3).reshape(groupSize, groups).sum(0).divi(features);
            return perGroup.reshape(groups, 1).repeat(1, features);
        }

        /** [G, M, P] back to the batch's shape. */
        INDArray back(INDArray v) {
            return v == null ? null : v.reshape('c', shape);
        }
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable x) {
        SDVariable grouped = x.reshape(groupSize, -1, channels, side, side);
        SDVariable centred = grouped.sub(grouped.mean(true, 0));
        SDVariable s = sd.math().sqrt(centred.mul(centred).mean(0).add(EPSILON)).mean(1, 2, 3); // [M]
        SDVariable plane = grouped.get(SDIndex.all(), SDIndex.all(), SDIndex.interval(0, 1), SDIndex.all(),
                SDIndex.all()).mul(0.0).add(1.0); // ones (onesLike's saved graph loads with a warning)
        SDVariable deviation = plane.mul(s.reshape(1, -1, 1, 1, 1)).reshape(-1, 1, side, side);
        return sd.concat(1, x, deviation);
    }
}

package io.sparkgan.model;

import io.sparkgan.model.networks.GanNetwork;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A replica's networks as standalone SameDiff graphs with given parameters: what a checkpoint exports
 * ({@code generator.sdz}, {@code discriminator.sdz}). Training never runs them; {@code
 * NetworkPassesTest} holds them to the training passes.
 */
public final class GraphExport {
    private GraphExport() {
    }

    /**
     * G: placeholder {@code z} [n, latent] (a translation G's {@code inputs}, images [n, C, side, side]),
     * and {@code labels}, the classes as INT32 [n], for a conditional G; output {@code images}.
     */
    public static SameDiff generator(GanReplica replica, INDArray flat) {
        GanArchitecture a = replica.architecture();
        DataType dtype = replica.dtype();
        SameDiff sd = SameDiff.create();
        declare(sd, replica.generatorLayout(), dtype);
        SDVariable input = a.family().translates()
                ? sd.placeHolder("inputs", dtype, -1, a.channels(), a.imageSize(), a.imageSize())
                : sd.placeHolder("z", dtype, -1, a.latentDim());
        GanNetwork.of(a).generatorGraph(sd, input, labelsOneHot(sd, a, dtype)).rename("images");
        assign(sd, replica.generatorLayout(), flat, dtype);
        return sd;
    }

    /**
     * D: placeholder {@code images} (a translation D's: input and output joined channel-wise), and
     * {@code labels} for a conditional D; output {@code logits}.
     */
    public static SameDiff discriminator(GanReplica replica, INDArray flat) {
        GanArchitecture a = replica.architecture();
        DataType dtype = replica.dtype();
        SameDiff sd = SameDiff.create();
        declare(sd, replica.discriminatorLayout(), dtype);
        long[] imageShape = {-1, a.judgedChannels(), a.imageSize(), a.imageSize()};
        SDVariable images = sd.placeHolder("images", dtype, imageShape);
        GanNetwork.of(a).discriminatorGraph(sd, images, labelsOneHot(sd, a, dtype)).rename("logits");
        assign(sd, replica.discriminatorLayout(), flat, dtype);
        return sd;
    }

    /** A conditional network's {@code labels} placeholder (classes as INT32 [n]) as a one-hot; null otherwise. */
    private static SDVariable labelsOneHot(SameDiff sd, GanArchitecture a, DataType dtype) {
        if (!a.conditional()) {
            return null;
        }
        return sd.oneHot(sd.placeHolder("labels", DataType.INT32, -1), a.classes()).castTo(dtype);
    }

    /** Declares every parameter of {@code layout} as a trainable variable (values are set later). */
    public static void declare(SameDiff sd, ParamLayout layout, DataType dtype) {
        for (ParamLayout.Param p : layout.params()) {
            sd.var(p.name(), Nd4j.zeros(dtype, p.shape()));
        }
    }

    private static void assign(SameDiff sd, ParamLayout layout, INDArray flat, DataType dtype) {
        if (flat.length() != layout.size()) {
            throw new IllegalArgumentException("parameter vector has " + flat.length() + " values, the network needs "
                    + layout.size());
        }
        INDArray typed = flat.dataType() == dtype ? flat : flat.castTo(dtype);
        for (ParamLayout.Param p : layout.params()) {
            INDArray slice = typed.get(NDArrayIndex.interval(p.offset(), p.offset() + p.length()));
            sd.getVariable(p.name()).getArr().assign(slice.reshape('c', p.shape()));
        }
    }
}

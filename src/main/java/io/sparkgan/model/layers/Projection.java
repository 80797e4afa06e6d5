package io.sparkgan.model.layers;

import io.sparkgan.model.Kernels;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.ParamLayout.Init;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A projection discriminator's class term ⟨φ, E[y]⟩ for features φ [n, features] and the class
 * embedding E [classes, features] (Miyato and Koyama, "cGANs with Projection Discriminator", 2018,
 * eq. 3), added to the logit by {@link Add}. Linear in φ, so the tangent takes the same map.
 */
public final class Projection {
    private final String embedding;
    private final int classes;
    private final long features;

    public Projection(String layer, int classes, long features) {
        this.embedding = Names.weights(layer);
        this.classes = classes;
        this.features = features;
    }

    public void declare(ParamLayout.Builder layout) {
        layout.add(embedding, Init.WEIGHT, classes, features);
    }

    /** ⟨φ, E[y]⟩ per image [n, 1], for the classes as a one-hot [n, classes]. */
    public Node apply(Tape tape, Params p, Node features, INDArray oneHot) {
        if (oneHot == null) {
            throw new IllegalArgumentException("a conditional discriminator needs the images' classes");
        }
        INDArray chosen = Kernels.matmul(oneHot, p.get(embedding), false, false); // E[y], [n, features]
        INDArray y = features.value().mul(chosen).sum(true, 1);
        INDArray yDot = features.tangent() == null ? null : features.tangent().mul(chosen).sum(true, 1);
        return tape.record(new Dual(y, yDot), features, (gradOut, sink) -> new Dual(
                backward(features.value(), gradOut.value(), chosen, oneHot, sink),
                backward(features.tangent(), gradOut.tangent(), chosen, oneHot, sink)));
    }

    /** One stream: adds E's gradient, returns φ's. */
    private INDArray backward(INDArray features, INDArray gradOut, INDArray chosen, INDArray oneHot, Params sink) {
        if (gradOut == null) {
            return null;
        }
        if (sink != null) {
            sink.get(embedding).addi(Kernels.matmul(oneHot, features.mulColumnVector(gradOut), true, false));
        }
        return chosen.mulColumnVector(gradOut);
    }

    public SDVariable graph(SameDiff sd, SDVariable features, SDVariable oneHot) {
        return sd.sum(features.mul(oneHot.mmul(sd.getVariable(embedding))), true, 1);
    }
}

package io.sparkgan.model.layers;

import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The truncation trick in W (Karras et al. 2019, appendix B; Brock et al. 2019 in Z): w̄ + ψ(w − w̄),
 * toward the mean w̄ the mapping network's outputs have had in training, a tracked buffer. ψ = 1 is
 * the identity, ψ = 0 gives every image w̄.
 */
public final class Truncation implements Layer {
    private final String mean;
    private final double psi;

    /** Truncation toward the buffer {@code mean} (of shape [w]) by ψ = {@code psi}. */
    public Truncation(String mean, double psi) {
        this.mean = mean;
        this.psi = psi;
    }

    @Override
    public Node apply(Tape tape, Params p, Node w) {
        if (psi == 1) {
            return w;
        }
        INDArray centre = p.get(mean);
        INDArray y = w.value().mul(psi).addiRowVector(centre.mul(1 - psi));
        return tape.record(Dual.of(y), w, (gradOut, sink) -> Dual.of(gradOut.value().mul(psi)));
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable w) {
        if (psi == 1) {
            return w;
        }
        return w.mul(psi).add(sd.getVariable(mean).mul(1 - psi));
    }
}

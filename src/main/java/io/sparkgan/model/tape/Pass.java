package io.sparkgan.model.tape;

import io.sparkgan.model.ParamLayout;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/** A forward pass's output and the recorded steps that differentiate it ({@link Tape}). */
public final class Pass {
    private final Node output;
    private final List<Node> inputs;
    private final List<Tape.Record> records;
    private final int nodes;
    private final ParamLayout layout;

    Pass(Node output, List<Node> inputs, List<Tape.Record> records, int nodes, ParamLayout layout) {
        this.output = output;
        this.inputs = inputs;
        this.records = records;
        this.nodes = nodes;
        this.layout = layout;
    }

    public INDArray output() {
        return output.value();
    }

    /** The output's tangent: per image, the input direction dotted with the output's input gradient. */
    public INDArray outputTangent() {
        return output.tangent();
    }

    /**
     * Backpropagates {@code gradOutput} through the pass, adding every parameter's gradient into
     * {@code gradient} (flat, in the layout's order). Returns the gradient with respect to the pass's
     * input.
     */
    public INDArray backward(INDArray gradOutput, INDArray gradient) {
        return walk(Dual.of(gradOutput), gradient).value();
    }

    /**
     * Adds into {@code gradient} the gradient, with respect to the parameters, of Σ gradTangent ⊙ the
     * output's tangent: the second-order pass of a gradient penalty.
     */
    public void backwardTangent(INDArray gradTangent, INDArray gradient) {
        walk(new Dual(null, gradTangent), gradient);
    }

    /**
     * The gradient with respect to the pass's input alone, with no parameter gradients: what G's round
     * needs from D, and a penalty's ∇ₓD. Steps then skip their parameters' gradients (a convolution's
     * input gradient is one transposed convolution, not the backward kernel that also computes the
     * weight gradient at about the same cost again).
     */
    public INDArray inputGradient(INDArray gradOutput) {
        return walk(Dual.of(gradOutput), null).value();
    }

    /**
     * The general walk: from the adjoints of the output's value and tangent, adds the parameters'
     * gradients into {@code gradient} (null: none) and returns the adjoints of every input of the
     * tape, in the order they were made.
     */
    public List<Dual> adjoints(Dual gradOutput, INDArray gradient) {
        Dual[] all = walkAll(gradOutput, gradient);
        List<Dual> result = new ArrayList<>();
        for (Node in : inputs) {
            result.add(all[in.id] == null ? Dual.ZERO : all[in.id]);
        }
        return result;
    }

    /** {@code gradient} null: input gradients only. Returns the first input's adjoints. */
    private Dual walk(Dual gradOutput, INDArray gradient) {
        Dual result = walkAll(gradOutput, gradient)[inputs.get(0).id];
        return result == null ? Dual.ZERO : result;
    }

    private Dual[] walkAll(Dual gradOutput, INDArray gradient) {
        Params sink = gradient == null ? null : new Params(layout, gradient);
        Dual[] adjoints = new Dual[nodes];
        adjoints[output.id] = gradOutput;
        for (int r = records.size() - 1; r >= 0; r--) {
            Tape.Record record = records.get(r);
            Dual gradOut = adjoints[record.output().id];
            adjoints[record.output().id] = null; // consumed: every step reading it was recorded after it
            if (gradOut == null || gradOut.isZero()) {
                continue;
            }
            Dual[] gradIn = record.backward().apply(gradOut, sink);
            Node[] in = record.inputs();
            for (int i = 0; i < in.length; i++) {
                Dual g = gradIn[i];
                if (g != null && g.tangent() != null && in[i].tangent() == null) {
                    g = Dual.of(g.value()); // an input without a tangent has the constant tangent 0
                }
                if (g != null && !g.isZero()) {
                    Dual before = adjoints[in[i].id];
                    adjoints[in[i].id] = before == null ? g : before.plus(g);
                }
            }
        }
        return adjoints;
    }
}

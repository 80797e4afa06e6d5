package io.sparkgan.model.tape;

import io.sparkgan.model.ParamLayout;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Reverse-mode differentiation for our networks: layers compute their values (and tangents) with
 * native kernels and record, for each step, the function that takes the adjoints of the step's output
 * and returns those of its inputs, adding parameter gradients on the way. {@link Pass} walks the
 * records in reverse. A value read by several steps (a residual block's input, a skip connection)
 * gets the sum of their adjoints.
 *
 * <p>A pass can carry a tangent along a direction of its input (forward mode), so that its output's
 * tangent is uᵀ∇ₓf per image; the backward walk then differentiates values and tangents together,
 * which is how a gradient penalty gets its exact parameter gradient (docs/architecture.md, "Gradient
 * penalties").
 */
public final class Tape {
    private final List<Record> records = new ArrayList<>();
    private final List<Node> inputs = new ArrayList<>();
    private int nodes;

    /** The backward function of one recorded step. */
    @FunctionalInterface
    public interface Backward {
        /**
         * Takes the adjoints of the step's output (value and tangent), adds parameter gradients into
         * {@code sink} (null: none wanted, only input adjoints), returns the adjoints of its inputs in the
         * order they were recorded ({@link Dual#ZERO} or null for an input it does not reach).
         */
        Dual[] apply(Dual gradOut, Params sink);
    }

    /** The backward function of a step with one input. */
    @FunctionalInterface
    public interface Backward1 {
        Dual apply(Dual gradOut, Params sink);
    }

    record Record(Node output, Node[] inputs, Backward backward) {}

    /** An input of the pass: {@link Pass#backward} returns the first one's adjoint, {@link Pass#adjoints} every one's. */
    public Node input(Dual value) {
        Node node = node(value);
        inputs.add(node);
        return node;
    }

    public Node input(INDArray value) {
        return input(Dual.of(value));
    }

    /** Records a step of one input. */
    public Node record(Dual output, Node input, Backward1 backward) {
        return record(output, new Node[] {input}, (gradOut, sink) -> new Dual[] {backward.apply(gradOut, sink)});
    }

    /** Records a step reading several inputs. */
    public Node record(Dual output, Node[] stepInputs, Backward backward) {
        Node node = node(output);
        records.add(new Record(node, stepInputs.clone(), backward));
        return node;
    }

    /** The finished pass with {@code output} as its result; parameter gradients in {@code layout}'s order. */
    public Pass pass(Node output, ParamLayout layout) {
        if (inputs.isEmpty()) {
            throw new IllegalStateException("a pass needs an input");
        }
        return new Pass(output, List.copyOf(inputs), List.copyOf(records), nodes, layout);
    }

    private Node node(Dual value) {
        return new Node(nodes++, value);
    }
}

package io.sparkgan.model.layers;

import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/** Layers applied one after another; their parameters declared in that order. */
public final class Sequential implements Layer {
    private final List<Layer> layers;

    public Sequential(List<Layer> layers) {
        this.layers = List.copyOf(layers);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void declare(ParamLayout.Builder layout) {
        layers.forEach(l -> l.declare(layout));
    }

    @Override
    public Node apply(Tape tape, Params p, Node x) {
        Node h = x;
        for (Layer l : layers) {
            h = l.apply(tape, p, h);
        }
        return h;
    }

    @Override
    public SDVariable graph(SameDiff sd, SDVariable x) {
        SDVariable h = x;
        for (Layer l : layers) {
            h = l.graph(sd, h);
        }
        return h;
    }

    /** Collects layers in order; {@code when} leaves out a layer that a setting turns off. */
    public static final class Builder {
        private final List<Layer> layers = new ArrayList<>();

        public Builder add(Layer layer) {
            layers.add(layer);
            return this;
        }

        public Builder addIf(boolean when, Layer layer) {
            return when ? add(layer) : this;
        }

        public Sequential build() {
            return new Sequential(layers);
        }
    }
}

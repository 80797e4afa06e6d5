package io.sparkgan.model.tape;

import io.sparkgan.model.ParamLayout;
import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * One parameter vector seen as the named arrays of its layout (views, no copies): the parameters a
 * pass reads, and in a backward walk the gradient it adds into.
 */
public final class Params {
    private final ParamLayout layout;
    private final Map<String, INDArray> views = new HashMap<>();

    public Params(ParamLayout layout, INDArray flat) {
        this.layout = layout;
        for (ParamLayout.Param p : layout.params()) {
            views.put(p.name(), flat.get(NDArrayIndex.interval(p.offset(), p.offset() + p.length()))
                    .reshape('c', p.shape()));
        }
    }

    public INDArray get(String name) {
        INDArray view = views.get(name);
        if (view == null) {
            throw new IllegalArgumentException("no parameter named " + name + " in this network's layout");
        }
        return view;
    }

    public ParamLayout layout() {
        return layout;
    }
}

package io.sparkgan.step;

import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.ParamLayout.Init;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;

/**
 * G's buffers: parameters the optimiser leaves alone (ParamLayout's NOISE and TRACKED kinds). A TRACKED
 * buffer's gradient slot holds, after the rounds, the mean over the global batch of what it tracks
 * (StyleGAN2's w̄: the mapping network's outputs); each generator update moves it to mean + β(old − mean)
 * and clears the slot so that the optimiser sees a zero gradient there. The EMA generator takes the
 * buffers as they are rather than averaging them, as StyleGAN2 copies them.
 */
final class TrackedBuffers implements Serializable {
    private final List<ParamLayout.Param> buffers;

    private TrackedBuffers(List<ParamLayout.Param> buffers) {
        this.buffers = buffers;
    }

    /** The buffers of {@code layout}; null when it has none (or no layout is given). */
    static TrackedBuffers of(ParamLayout layout) {
        if (layout == null || layout.buffers().isEmpty()) {
            return null;
        }
        return new TrackedBuffers(layout.buffers());
    }

    /** Takes the tracked means out of {@code gradient}, leaving zeros there; one array per TRACKED buffer. */
    float[][] take(float[] gradient) {
        float[][] means = new float[buffers.size()][];
        for (int i = 0; i < buffers.size(); i++) {
            ParamLayout.Param p = buffers.get(i);
            int from = (int) p.offset();
            int to = (int) (p.offset() + p.length());
            if (p.init() == Init.TRACKED) {
                means[i] = Arrays.copyOfRange(gradient, from, to);
            }
            Arrays.fill(gradient, from, to, 0f);
        }
        return means;
    }

    /** Moves each tracked buffer of {@code params} toward its mean: mean + β(old − mean). */
    void track(float[] params, float[][] means) {
        for (int i = 0; i < buffers.size(); i++) {
            ParamLayout.Param p = buffers.get(i);
            if (p.init() != Init.TRACKED) {
                continue;
            }
            float beta = (float) p.spread();
            int from = (int) p.offset();
            for (int k = 0; k < p.length(); k++) {
                float mean = means[i][k];
                params[from + k] = mean + beta * (params[from + k] - mean);
            }
        }
    }

    /** Copies every buffer from {@code params} into {@code average} (the EMA generator). */
    void copy(float[] params, float[] average) {
        for (ParamLayout.Param p : buffers) {
            System.arraycopy(params, (int) p.offset(), average, (int) p.offset(), (int) p.length());
        }
    }
}

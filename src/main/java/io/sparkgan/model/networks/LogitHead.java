package io.sparkgan.model.networks;

import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.layers.Add;
import io.sparkgan.model.layers.Bias;
import io.sparkgan.model.layers.Dense;
import io.sparkgan.model.layers.Projection;
import io.sparkgan.model.tape.Node;
import io.sparkgan.model.tape.Params;
import io.sparkgan.model.tape.Tape;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A discriminator's head: its features φ to one logit, φ·w (+ ⟨φ, E[y]⟩, the projection term of a
 * conditional D, Miyato and Koyama 2018) + b. Parameters in the order logit weights, logit bias, class
 * embedding.
 */
final class LogitHead {
    private final Dense logit;
    private final Bias bias;
    private final Projection projection;

    /** The head over {@code features} features; {@code classes} 0 for an unconditional D. */
    LogitHead(long features, int classes) {
        this(new Dense(GanNetwork.D_LOGIT, features, 1), new Bias(GanNetwork.D_LOGIT, features, 1), features, classes);
    }

    private LogitHead(Dense logit, Bias bias, long features, int classes) {
        this.logit = logit;
        this.bias = bias;
        this.projection = classes > 0 ? new Projection(GanNetwork.D_EMBED, classes, features) : null;
    }

    /** The head with an equalised learning rate on its logit (StyleGAN's), its bias started at 0. */
    static LogitHead equalised(long features, int classes) {
        return new LogitHead(Dense.equalised(GanNetwork.D_LOGIT, features, 1, 1),
                Bias.equalised(GanNetwork.D_LOGIT, 1, ParamLayout.Init.ZERO, 1), features, classes);
    }

    void declare(ParamLayout.Builder layout) {
        logit.declare(layout);
        bias.declare(layout);
        if (projection != null) {
            projection.declare(layout);
        }
    }

    Node apply(Tape tape, Params p, Node phi, INDArray oneHot) {
        Node h = logit.apply(tape, p, phi);
        if (projection != null) {
            h = Add.PLAIN.apply(tape, h, projection.apply(tape, p, phi, oneHot));
        }
        return bias.apply(tape, p, h);
    }

    SDVariable graph(SameDiff sd, SDVariable phi, SDVariable oneHot) {
        SDVariable h = logit.graph(sd, phi);
        if (projection != null) {
            h = Add.PLAIN.graph(sd, h, projection.graph(sd, phi, oneHot));
        }
        return bias.graph(sd, h);
    }
}

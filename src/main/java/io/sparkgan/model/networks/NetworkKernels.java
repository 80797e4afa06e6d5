package io.sparkgan.model.networks;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.KernelCase;
import io.sparkgan.model.Kernels;
import io.sparkgan.model.ParamLayout;
import io.sparkgan.model.tape.Dual;
import io.sparkgan.model.tape.Pass;
import io.sparkgan.model.tape.Params;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The native kernels a pair calls, at the shapes it calls them with: what the self-check runs before a
 * JVM trains, generates or scores. They are read off a dry run of the passes at the per-worker batch
 * ({@link Kernels#recording}), so a new layer or network is covered without a list to keep in step;
 * the batch is part of every shape, since oneDNN and OpenBLAS choose their code paths by size. A dry
 * run costs about a step, so its result is kept per JVM: callers ask in every round.
 */
public final class NetworkKernels {
    private record Key(GanArchitecture architecture, int batch, boolean training) {}

    private static final Map<Key, List<KernelCase>> RECORDED = new ConcurrentHashMap<>();

    private NetworkKernels() {
    }

    /** A training step's kernels: G's and D's forward and backward passes, and D's input gradient alone. */
    public static List<KernelCase> training(GanArchitecture a, int batch) {
        return run(a, batch, true);
    }

    /** G's forward pass (sample grids, the FID stage, sampling) at {@code batch}. */
    public static List<KernelCase> generator(GanArchitecture a, int batch) {
        return run(a, batch, false);
    }

    private static List<KernelCase> run(GanArchitecture a, int batch, boolean training) {
        return RECORDED.computeIfAbsent(new Key(a, batch, training), k -> List.copyOf(dryRun(a, batch, training)));
    }

    private static List<KernelCase> dryRun(GanArchitecture a, int batch, boolean training) {
        GanNetwork network = GanNetwork.of(a);
        Params g = params(network.generatorLayout());
        Params d = params(network.discriminatorLayout());
        boolean translates = a.family().translates();
        INDArray z = translates ? Nd4j.zeros(DataType.FLOAT, batch, a.channels(), a.imageSize(), a.imageSize())
                : Nd4j.zeros(DataType.FLOAT, batch, a.latentDim());
        INDArray oneHot = a.conditional() ? Nd4j.zeros(DataType.FLOAT, batch, a.classes()) : null;
        if (oneHot != null) {
            oneHot.getColumn(0).assign(1);
        }
        return Kernels.recording(() -> {
            Pass generated = network.generator(g, z, oneHot);
            if (!training) {
                return;
            }
            // a translation's D judges the pair (input, output)
            INDArray judgedImages = translates ? Nd4j.concat(1, z, generated.output()) : generated.output();
            Pass judged = network.discriminator(d, Dual.of(judgedImages), oneHot);
            INDArray gradLogits = Nd4j.ones(DataType.FLOAT, judged.output().shape());
            judged.backward(gradLogits, Nd4j.zeros(DataType.FLOAT, network.discriminatorLayout().size()));
            INDArray gradImages = judged.inputGradient(gradLogits);
            if (translates) {
                gradImages = gradImages.get(NDArrayIndex.all(), NDArrayIndex.interval(a.channels(), 2L * a.channels()),
                        NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
            }
            generated.backward(gradImages, Nd4j.zeros(DataType.FLOAT, network.generatorLayout().size()));
        });
    }

    private static Params params(ParamLayout layout) {
        return new Params(layout, Nd4j.createFromArray(layout.initialise(1)));
    }

    /**
     * G's forward kernels for an exported generator ({@code sample} has a checkpoint's graph, not its
     * configuration): the pair is read back from the graph's weight shapes and its tape pass recorded,
     * which calls the convolutions and products the graph calls at the same shapes (the graph
     * normalises with elementary ops instead of the batchnorm kernel). {@code shapeOf} gives a
     * variable's shape, or null when the graph has none of that name; an unknown graph gives no cases.
     */
    public static List<KernelCase> exportedGenerator(Function<String, long[]> shapeOf, int batch) {
        GanArchitecture a = ExportedGenerators.architecture(shapeOf);
        return a == null ? List.of() : generator(a, batch);
    }
}

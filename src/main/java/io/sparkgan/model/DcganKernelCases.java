package io.sparkgan.model;

import io.sparkgan.model.KernelCase.Kind;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The native kernels a DCGAN calls, at the shapes it calls them with ({@link DcganPasses}): what the
 * self-check runs before a JVM trains, generates or scores. The per-worker batch is part of every
 * shape, since oneDNN and OpenBLAS choose their code paths by size.
 */
public final class DcganKernelCases {
    private DcganKernelCases() {
    }

    /** A training step's kernels: G's and D's forward and backward passes at the per-worker batch. */
    public static List<KernelCase> training(GanArchitecture a, int batch) {
        Set<KernelCase> cases = new LinkedHashSet<>(generator(a, batch, true));
        int in = a.channels();
        int size = a.imageSize();
        for (int s = 0; s < a.stages(); s++) {
            int out = a.discriminatorChannels(s);
            cases.add(KernelCase.convolution(Kind.CONV2D, batch, in, size, size, out, 4, 2, 1));
            cases.add(KernelCase.convolution(Kind.CONV2D_BP, batch, in, size, size, out, 4, 2, 1));
            // G's round asks D for its input gradient alone: the transposed convolution
            cases.add(KernelCase.convolution(Kind.DECONV2D, batch, in, size, size, out, 4, 2, 1));
            if (Dcgan.discriminatorStageNorm(a, s) == Normalisation.BATCH) {
                cases.add(KernelCase.perChannel(Kind.MOMENTS, batch, out, size / 2, size / 2));
                cases.add(KernelCase.perChannel(Kind.BATCHNORM, batch, out, size / 2, size / 2));
            }
            in = out;
            size /= 2;
        }
        int features = (int) a.discriminatorFeatures();
        cases.addAll(dense(batch, features, 1, true));
        return new ArrayList<>(cases);
    }

    /** G's forward pass (sampling, the FID stage) at {@code batch}, with its backward pass when {@code training}. */
    public static List<KernelCase> generator(GanArchitecture a, int batch, boolean training) {
        Set<KernelCase> cases = new LinkedHashSet<>();
        int size = a.baseSize();
        int channels = a.generatorChannels(0);
        cases.addAll(dense(batch, a.generatorInputs(), channels * size * size, training));
        addNorm(cases, a, batch, channels, size);
        for (int s = 1; s <= a.stages(); s++) {
            int out = s == a.stages() ? a.channels() : a.generatorChannels(s);
            // deconv2d [batch, channels, size] -> [batch, out, 2·size]: the transpose of that convolution
            cases.add(KernelCase.convolution(Kind.DECONV2D, batch, out, 2 * size, 2 * size, channels, 4, 2, 1));
            if (training) {
                cases.add(KernelCase.convolution(Kind.DECONV2D_BP, batch, out, 2 * size, 2 * size, channels, 4, 2, 1));
            }
            size *= 2;
            channels = out;
            if (s < a.stages()) {
                addNorm(cases, a, batch, channels, size);
            }
        }
        cases.add(KernelCase.perChannel(Kind.TANH, batch, a.channels(), size, size));
        return new ArrayList<>(cases);
    }

    /**
     * G's forward kernels read off an exported generator's weight shapes ({@code sample} has a
     * checkpoint's graph, not its configuration): the projection's gemm, each transposed convolution,
     * tanh. The graph normalises with elementary ops, not the batchnorm kernel. {@code shapeOf} gives a
     * variable's shape, or null when the graph has none of that name.
     */
    public static List<KernelCase> exportedGenerator(Function<String, long[]> shapeOf, int batch) {
        long[] project = shapeOf.apply(Dcgan.weights(Dcgan.G_PROJECT)); // [inputs, c0·base²]
        long[] first = shapeOf.apply(Dcgan.weights(Dcgan.generatorStage(1))); // [4, 4, out, in]
        if (project == null || first == null) {
            return List.of();
        }
        List<KernelCase> cases = new ArrayList<>();
        int channels = (int) first[3];
        int size = (int) Math.round(Math.sqrt(project[1] / (double) channels));
        cases.add(KernelCase.gemm(DataType.FLOAT, batch, (int) project[0], (int) project[1], false, false));
        for (int s = 1; shapeOf.apply(Dcgan.weights(Dcgan.generatorStage(s))) != null; s++) {
            int out = (int) shapeOf.apply(Dcgan.weights(Dcgan.generatorStage(s)))[2];
            cases.add(KernelCase.convolution(Kind.DECONV2D, batch, out, 2 * size, 2 * size, channels, 4, 2, 1));
            size *= 2;
            channels = out;
        }
        cases.add(KernelCase.perChannel(Kind.TANH, batch, channels, size, size));
        return cases;
    }

    private static void addNorm(Set<KernelCase> cases, GanArchitecture a, int batch, int channels, int size) {
        if (a.generatorBatchNorm()) {
            cases.add(KernelCase.perChannel(Kind.MOMENTS, batch, channels, size, size));
            cases.add(KernelCase.perChannel(Kind.BATCHNORM, batch, channels, size, size));
        }
    }

    /** A dense layer [batch, in] · [in, out] in float, and with {@code backward} its two gradients. */
    private static List<KernelCase> dense(int batch, int in, int out, boolean backward) {
        List<KernelCase> cases = new ArrayList<>();
        cases.add(KernelCase.gemm(DataType.FLOAT, batch, in, out, false, false));
        if (backward) {
            cases.add(KernelCase.gemm(DataType.FLOAT, in, batch, out, true, false)); // xᵀ · dy
            cases.add(KernelCase.gemm(DataType.FLOAT, batch, out, in, false, true)); // dy · Wᵀ
        }
        return cases;
    }
}

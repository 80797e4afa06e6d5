package io.sparkgan.eval;

import io.sparkgan.config.FidConfig;
import io.sparkgan.model.networks.NetworkKernels;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.KernelCase;
import io.sparkgan.model.KernelCase.Kind;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The native kernels the FID stage, sampling and the evaluator run, at their shapes, for the
 * self-check ({@code runtime.NativeSelfCheck}). InceptionV3's own 94 convolutions are not among them
 * (its features' statistics and the metrics on them are).
 */
public final class EvalKernelCases {
    /** Rows of the precision/recall distance blocks ({@link PrecisionRecall}) checked: 2048 columns stand for up to 10,000. */
    private static final int DISTANCE_COLUMNS = 2048;

    private EvalKernelCases() {
    }

    /** InceptionV3's pool3 width; the FID stage reads the real one off the model it loads. */
    private static final int INCEPTION_FEATURES = 2048;

    /** The features' width before an extractor is loaded ({@code doctor}): the evaluator's 128, InceptionV3's 2048. */
    public static int featureDimension(String extractor) {
        return extractor.equals("inception") ? INCEPTION_FEATURES : EvaluatorClassifier.FEATURES;
    }

    /**
     * The FID stage: G's forward pass at {@code fid.batch}, the evaluator's forward pass when it is the
     * extractor, and the double products of the feature statistics, KID and precision/recall.
     */
    public static List<KernelCase> fid(GanArchitecture a, FidConfig fid, int featureDim, boolean evaluator) {
        Set<KernelCase> cases = new LinkedHashSet<>(NetworkKernels.generator(a, fid.batch()));
        if (evaluator) {
            cases.addAll(evaluator(a.imageSize(), a.channels(), fid.batch(), false));
        }
        int d = featureDim;
        cases.add(KernelCase.gemm(DataType.DOUBLE, d, fid.batch(), d, true, false)); // FeatureStats: Xcᵀ Xc
        int m = Math.max(2, Math.min(fid.kidSubsetSize(), fid.samples()));
        cases.add(KernelCase.gemm(DataType.DOUBLE, m, d, m, false, true)); // KID's kernel matrices
        int rows = Math.min(PrecisionRecall.BLOCK, fid.samples());
        cases.add(KernelCase.gemm(DataType.DOUBLE, rows, d, Math.min(DISTANCE_COLUMNS, fid.samples()), false, true));
        return new ArrayList<>(cases);
    }

    /**
     * The evaluator classifier ({@link EvaluatorClassifier#configuration}): two 3×3 "same" convolutions
     * with 2×2 pooling, a 128-unit dense layer and the class layer; with {@code training} their gradients.
     */
    public static List<KernelCase> evaluator(int size, int channels, int batch, boolean training) {
        List<KernelCase> cases = new ArrayList<>();
        int[][] convolutions = {{channels, size, 16}, {16, size / 2, 32}};
        for (int[] c : convolutions) {
            cases.add(KernelCase.convolution(Kind.CONV2D, batch, c[0], c[1], c[1], c[2], 3, 1, 1));
            if (training) {
                cases.add(KernelCase.convolution(Kind.CONV2D_BP, batch, c[0], c[1], c[1], c[2], 3, 1, 1));
            }
        }
        int flat = 32 * (size / 4) * (size / 4);
        cases.add(KernelCase.gemm(DataType.FLOAT, batch, flat, EvaluatorClassifier.FEATURES, false, false));
        if (training) {
            cases.add(KernelCase.gemm(DataType.FLOAT, flat, batch, EvaluatorClassifier.FEATURES, true, false));
            cases.add(KernelCase.gemm(DataType.FLOAT, batch, EvaluatorClassifier.FEATURES, flat, false, true));
        }
        return cases;
    }
}

package io.sparkgan.model;

import io.sparkgan.model.networks.NetworkKernels;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.model.KernelCase.Kind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The self-check's references against this machine's native kernels (which are right here, or the
 * whole suite would be red) at the shapes jobs run, and a perturbed kernel caught with the numbers
 * that show it.
 */
class KernelSelfCheckTest {
    private static final GanArchitecture DCGAN_28 = new GanArchitecture(28, 1, 100, 64, 64, Normalisation.BATCH,
            Normalisation.NONE);
    private static final GanArchitecture DCGAN_64_RGB = new GanArchitecture(64, 3, 100, 32, 32,
            Normalisation.BATCH, Normalisation.BATCH);
    private static final GanArchitecture RESNET_32_CONDITIONAL = new GanArchitecture(32, 3, 128, 32, 32,
            Normalisation.BATCH, Normalisation.NONE, 10, GanArchitecture.Family.RESNET);

    @AfterEach
    void noPerturbation() {
        System.clearProperty("sparkgan.selfcheck.perturb");
    }

    @Test
    void everyKernelAJobRunsIsWithinItsBoundHere() {
        List<KernelCase> cases = new ArrayList<>(NetworkKernels.training(DCGAN_28, 32));
        cases.addAll(NetworkKernels.training(DCGAN_64_RGB, 16));
        cases.addAll(NetworkKernels.generator(DCGAN_28, 250));
        cases.addAll(NetworkKernels.training(RESNET_32_CONDITIONAL, 16));
        cases.add(KernelCase.gemm(DataType.DOUBLE, 128, 250, 128, true, false)); // feature statistics
        cases.add(KernelCase.gemm(DataType.DOUBLE, 300, 2048, 300, false, true)); // KID at d = 2048
        cases.add(KernelCase.convolution(Kind.CONV2D, 64, 1, 28, 28, 16, 3, 1, 0)); // the evaluator's
        cases.add(KernelCase.convolution(Kind.CONV2D_BP, 64, 16, 13, 13, 32, 3, 1, 0));
        double worst = 0;
        long started = System.nanoTime();
        for (KernelCase c : cases) {
            KernelSelfCheck.Result r = KernelSelfCheck.check(c, 1);
            System.out.println(r.line() + String.format(" (%.0f%% of the bound, %.0f ms)", 100 * r.ratio(),
                    r.seconds() * 1e3));
            assertTrue(r.ok(), r.line());
            worst = Math.max(worst, r.ratio());
        }
        System.out.printf("%d cases in %.2f s, worst at %.1f%% of its bound%n", cases.size(),
                (System.nanoTime() - started) / 1e9, 100 * worst);
        assertTrue(worst > 0, "the comparisons compared something");
    }

    @Test
    void aPerturbedKernelIsCaught() {
        for (KernelCase c : List.of(KernelCase.convolution(Kind.CONV2D, 32, 64, 14, 14, 128, 4, 2, 1),
                KernelCase.convolution(Kind.DECONV2D_BP, 32, 64, 14, 14, 128, 4, 2, 1),
                KernelCase.gemm(DataType.DOUBLE, 200, 128, 200, false, true),
                KernelCase.perChannel(Kind.BATCHNORM, 32, 64, 14, 14),
                KernelCase.perChannel(Kind.TANH, 32, 1, 28, 28),
                KernelCase.perChannel(Kind.RESAMPLE, 16, 64, 8, 8))) {
            assertTrue(KernelSelfCheck.check(c, 2).ok(), c + " is right before it is perturbed");
            System.setProperty("sparkgan.selfcheck.perturb", c.kind().label);
            KernelSelfCheck.Result r = KernelSelfCheck.check(c, 2);
            System.clearProperty("sparkgan.selfcheck.perturb");
            assertFalse(r.ok(), c + " perturbed by 10 % is caught");
            assertTrue(r.line().startsWith("self-check " + c.key() + " WRONG worst "), r.line());
            assertTrue(r.worstError() > r.bound(), r.line());
        }
    }

    @Test
    void linesNameTheKernelTypeAndShape() {
        KernelSelfCheck.Result r = KernelSelfCheck.check(KernelCase.gemm(DataType.FLOAT, 32, 100, 3136, false,
                false), 3);
        assertTrue(r.line().matches("self-check gemm float \\[32,100\\]x\\[100,3136\\] ok worst \\S+ bound \\S+"),
                r.line());
        assertEquals("deconv2d float [8,128,7,7]->[8,64,14,14] k4 s2 p1",
                KernelCase.convolution(Kind.DECONV2D, 8, 64, 14, 14, 128, 4, 2, 1).key());
    }
}

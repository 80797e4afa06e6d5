package io.sparkgan.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.model.networks.NetworkKernels;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.KernelCase;
import io.sparkgan.model.Normalisation;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A wrong kernel stops the JVM's work with one line that says where, what, by how much, on which CPU
 * and OpenBLAS core, and what to set; every later task on that JVM stops the same way.
 */
class NativeSelfCheckTest {
    private static final GanArchitecture DCGAN = new GanArchitecture(28, 1, 100, 16, 16, Normalisation.BATCH,
            Normalisation.NONE);

    @AfterEach
    void cleanJvm() {
        System.clearProperty("sparkgan.selfcheck.perturb");
        NativeSelfCheck.forget();
    }

    @Test
    void aRightMachinePassesOnceAndIsNotCheckedAgain() {
        NativeSelfCheck.forget();
        List<KernelCase> cases = NetworkKernels.training(DCGAN, 8);
        NativeSelfCheck.require(cases);
        Map<String, Object> summary = NativeSelfCheck.summary();
        assertEquals("ok", summary.get("result"), summary.toString());
        assertEquals(cases.size(), summary.get("kernels_checked"));
        // a perturbation now changes nothing: those shapes were checked already in this JVM
        System.setProperty("sparkgan.selfcheck.perturb", "conv2d");
        NativeSelfCheck.require(cases);
    }

    @Test
    void aWrongKernelStopsTheJvmWithOneLineThatSaysWhatToDo() {
        NativeSelfCheck.forget();
        System.setProperty("sparkgan.selfcheck.perturb", "deconv2d_bp");
        List<KernelCase> cases = NetworkKernels.training(DCGAN, 8);
        WrongKernelException e = assertThrows(WrongKernelException.class, () -> NativeSelfCheck.require(cases));
        String m = e.getMessage();
        NativePlatform p = NativePlatform.current();
        assertTrue(m.startsWith("native kernel self-check failed on host "), m);
        // "(this process)" alone; "(the driver)" when another test's local-mode Spark is up in this JVM
        assertTrue(m.matches("native kernel self-check failed on host \\S+ \\((this process|the driver)\\): .*"), m);
        assertTrue(m.contains(": deconv2d_bp float [8,16,14,14]->[8,1,28,28] k4 s2 p1 gives wrong numbers ("), m);
        assertTrue(m.matches(".* off by \\S+ where a correct kernel stays within \\S+\\) on .*"), m);
        assertTrue(m.contains(p.cpuModelName()) && m.contains("OpenBLAS " + p.openBlasVersion() + " core "
                + p.openBlasCore()), m);
        String isa = p.isaFlags().contains("avx2") ? "AVX2" : "SSE41"; // never an instruction set the CPU lacks
        assertTrue(m.contains("ONEDNN_MAX_CPU_ISA=" + isa) && m.contains("spark.executorEnv.ONEDNN_MAX_CPU_ISA=" + isa)
                && m.contains("spark.yarn.appMasterEnv."), "a convolution's fix is oneDNN's: " + m);
        assertEquals(-1, m.indexOf('\n'), "one line");
        assertEquals("WRONG", NativeSelfCheck.summary().get("result"));

        System.clearProperty("sparkgan.selfcheck.perturb");
        WrongKernelException again = assertThrows(WrongKernelException.class,
                () -> NativeSelfCheck.require(List.of(KernelCase.perChannel(KernelCase.Kind.TANH, 1, 1, 2, 2))));
        assertEquals(m, again.getMessage(), "every later task on this JVM stops the same way");
    }

    @Test
    void aWrongGemmPointsAtOpenBlas() {
        NativeSelfCheck.forget();
        System.setProperty("sparkgan.selfcheck.perturb", "gemm");
        WrongKernelException e = assertThrows(WrongKernelException.class,
                () -> NativeSelfCheck.require(NetworkKernels.generator(DCGAN, 8)));
        String core = NativePlatform.current().isaFlags().contains("avx2") ? "HASWELL" : "NEHALEM";
        assertTrue(e.getMessage().contains("set OPENBLAS_CORETYPE=" + core + " in the environment before java starts"),
                e.getMessage());
        assertTrue(e.getMessage().contains("spark.executorEnv.OPENBLAS_CORETYPE=" + core), e.getMessage());
    }

    @Test
    void theFailureIsFoundInWhatSparkReports() {
        WrongKernelException original = new WrongKernelException("native kernel self-check failed on host h"
                + " (executor 3): conv2d float [1,1,4,4]->[1,1,2,2] k4 s2 p1 gives wrong numbers");
        assertSame(original, WrongKernelException.in(new SparkException("Job aborted", original)));
        String barrier = "Could not recover from a failed barrier ResultStage. Most recent failure reason: Stage"
                + " failed because barrier task ResultTask(3, 0) finished unsuccessfully.\n"
                + WrongKernelException.class.getName() + ": " + original.getMessage() + "\n\tat io.sparkgan...";
        WrongKernelException parsed = WrongKernelException.in(new SparkException(barrier));
        assertEquals(original.getMessage(), parsed.getMessage());
        assertNull(WrongKernelException.in(new SparkException("Job aborted: disk full")));
        assertNotEquals(null, WrongKernelException.in(new RuntimeException(new SparkException(barrier))));
    }
}

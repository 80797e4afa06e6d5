package io.sparkgan.runtime;

import io.sparkgan.model.KernelCase;
import io.sparkgan.model.KernelSelfCheck;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkEnv;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The known-answer self-check of the native kernels a job runs, once per JVM and kernel shape: the
 * driver checks before a stage starts, and every executor before its first task of the stage
 * ({@link #require}). A kernel outside its rounding bound ({@link KernelSelfCheck}) stops the job with
 * a {@link WrongKernelException} naming the host, the executor, the kernel and shape, the error and
 * the bound, the CPU and OpenBLAS core, and what to set; every later task on that JVM fails the same
 * way. A kernel that passed is not checked again in that JVM.
 *
 * <p>Why at all: OpenBLAS and oneDNN pick their code by CPUID and by size, and on some processors
 * the picks are wrong (OpenBLAS 0.3.19's SkylakeX dsyev, its Cooperlake dgemm). A wrong gradient or
 * covariance is not visible in a loss curve or a report; a check against plain Java is.
 */
public final class NativeSelfCheck {
    private static final Logger LOG = LoggerFactory.getLogger(NativeSelfCheck.class);
    /** The inputs' seed: the same inputs on every JVM, so a failure reproduces anywhere. */
    private static final long SEED = 22;

    private static final Map<KernelCase, KernelSelfCheck.Result> CHECKED = new LinkedHashMap<>();
    private static String failure;

    private NativeSelfCheck() {
    }

    /**
     * Checks the cases this JVM has not checked; throws {@link WrongKernelException} for the first wrong
     * one, and on every later call in this JVM.
     */
    public static synchronized void require(Collection<KernelCase> cases) {
        if (failure != null) {
            throw new WrongKernelException(failure);
        }
        List<KernelSelfCheck.Result> fresh = run(cases, true);
        for (KernelSelfCheck.Result r : fresh) {
            if (!r.ok()) {
                failure = message(r);
                LOG.error(failure);
                throw new WrongKernelException(failure);
            }
        }
        if (!fresh.isEmpty()) {
            double seconds = fresh.stream().mapToDouble(KernelSelfCheck.Result::seconds).sum();
            LOG.info("self-check: {} native kernel shape(s) right on {} ({}) in {} s", fresh.size(), where(),
                    NativePlatform.current().summary(), String.format(Locale.ROOT, "%.2f", seconds));
        }
    }

    /** Every case's result, checking those not yet checked, without throwing: what {@code doctor} prints. */
    public static synchronized List<KernelSelfCheck.Result> report(Collection<KernelCase> cases) {
        run(cases, false);
        List<KernelSelfCheck.Result> results = new ArrayList<>();
        for (KernelCase c : cases) {
            results.add(CHECKED.get(c));
        }
        return results;
    }

    private static List<KernelSelfCheck.Result> run(Collection<KernelCase> cases, boolean stopAtWrong) {
        List<KernelSelfCheck.Result> fresh = new ArrayList<>();
        for (KernelCase c : cases) {
            if (!CHECKED.containsKey(c)) {
                KernelSelfCheck.Result r = KernelSelfCheck.check(c, SEED);
                CHECKED.put(c, r);
                fresh.add(r);
                if (!r.ok() && stopAtWrong) {
                    break; // the rest would only add to the cost of a failing start
                }
            }
        }
        return fresh;
    }

    /** What this JVM checked so far, for provenance: counts, cost, and the failure if there was one. */
    public static synchronized Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        long wrong = CHECKED.values().stream().filter(r -> !r.ok()).count();
        m.put("result", CHECKED.isEmpty() ? "not run" : wrong == 0 ? "ok" : "WRONG");
        m.put("kernels_checked", CHECKED.size());
        m.put("seconds", Math.round(CHECKED.values().stream().mapToDouble(KernelSelfCheck.Result::seconds).sum()
                * 1000) / 1000.0);
        if (failure != null) {
            m.put("failure", failure);
        }
        return m;
    }

    /** Forgets this JVM's results: for tests that inject a fault and then need a clean JVM. */
    public static synchronized void forget() {
        CHECKED.clear();
        failure = null;
    }

    /** The one line the user reads. */
    static String message(KernelSelfCheck.Result r) {
        return "native kernel self-check failed on " + where() + ": " + r.kernel().key() + " gives wrong numbers ("
                + r.output() + " off by " + String.format(Locale.ROOT, "%.3g", r.worstError())
                + " where a correct kernel stays within " + String.format(Locale.ROOT, "%.3g", r.bound()) + ") on "
                + NativePlatform.current().summary() + ". Nothing was computed with it. " + advice(r.kernel());
    }

    /**
     * The line for a native double product that a metric checked on its own matrices and found wrong
     * (after the self-check at its shape had passed): the BLAS gives wrong numbers for this data.
     */
    public static String wrongProductMessage(String what, int m, int k, int n, int column, double error,
                                             double bound) {
        return "a native double product computed wrong numbers on " + where() + ": " + what + " ([" + m + "," + k
                + "]x[" + k + "," + n + "], column " + column + " of its check off by "
                + String.format(Locale.ROOT, "%.3g", error) + " where a correct product stays within "
                + String.format(Locale.ROOT, "%.3g", bound) + ") on " + NativePlatform.current().summary()
                + ". The scores were not written. " + advice(KernelCase.gemm(DataType.DOUBLE, m, k, n, false,
                false));
    }

    private static String advice(KernelCase kernel) {
        String places = " in the environment before java starts (export it before bin/sparkgan or spark-submit;"
                + " spark.executorEnv.%1$s=%2$s for executors; spark.yarn.appMasterEnv.%1$s=%2$s for a YARN"
                + " cluster-mode driver): a running JVM cannot switch kernels. `sparkgan doctor --executors` checks"
                + " every executor.";
        // the next instruction set down that this CPU has: naming one it lacks would crash the next run
        boolean avx2 = NativePlatform.current().isaFlags().contains("avx2");
        if (kernel.kind() == KernelCase.Kind.GEMM) {
            String core = avx2 ? "HASWELL" : "NEHALEM";
            return "OpenBLAS picked kernels for this CPU that are wrong: set OPENBLAS_CORETYPE=" + core
                    + String.format(Locale.ROOT, places, "OPENBLAS_CORETYPE", core);
        }
        String isa = avx2 ? "AVX2" : "SSE41";
        return "oneDNN's code for this CPU is wrong: cap its instruction set with ONEDNN_MAX_CPU_ISA=" + isa
                + " (DNNL_MAX_CPU_ISA before oneDNN 2.5)" + String.format(Locale.ROOT, places, "ONEDNN_MAX_CPU_ISA",
                isa);
    }

    /** "host h (executor 3)", "host h (the driver)". */
    static String where() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "an unnamed host";
        }
        SparkEnv env = SparkEnv.get();
        String executor = env == null ? "this process" : "driver".equals(env.executorId()) ? "the driver"
                : "executor " + env.executorId();
        return "host " + host + " (" + executor + ")";
    }
}

package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.runtime.NativePlatform;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `sparkgan doctor` reports the backend, the native build, the CPU and OpenBLAS core, a self-check of
 * every kernel the configured jobs call, the master and the config, and trains nothing; a wrong kernel
 * (injected, or OpenBLAS's Cooperlake kernels forced on an AVX-512 machine) makes it exit 1, and makes
 * `train` stop before it writes anything.
 */
class DoctorCommandTest {
    /** `self-check <kernel> <dtype> <shape> ok|WRONG worst <err> bound <b>`. */
    private static final String LINE = "self-check \\S+ (float|double) \\[.+ (ok|WRONG) worst \\S+ bound \\S+.*";
    @Test
    void reportsBackendNativeBuildMasterAndConfig() {
        CliRun run = CliRun.of("doctor",
                "--set", "spark.master=local[3]", "--set", "spark.conf.\"spark.hadoop.fs.s3a.secret.key\"=hunter2");
        String text = run.out();
        assertEquals(0, run.code(), run.err());
        assertTrue(text.contains("nd4j backend: org.nd4j.linalg.cpu.nativecpu.CpuBackend"), text);
        assertTrue(text.contains("native build: oneDNN"), "this build links the oneDNN CPU library\n" + text);
        assertTrue(text.contains("spark master: local[3] (set in the config)"), text);
        assertTrue(text.contains("batch-per-worker=32"), text);
        NativePlatform p = NativePlatform.current();
        assertTrue(text.contains("cpu: " + p.cpuModelName()) && text.contains("openblas: " + p.openBlasVersion()
                + ", core " + p.openBlasCore()), text);
        List<String> checks = text.lines().filter(l -> l.startsWith("self-check ") && !l.startsWith("self-check:"))
                .toList();
        assertTrue(checks.size() >= 20, "one line per kernel shape:\n" + text);
        checks.forEach(l -> assertTrue(l.matches(LINE) && l.contains(" ok "), l));
        assertTrue(text.contains("self-check gemm float [32,100]x[100,3136] ok"), "G's projection at the per-worker"
                + " batch:\n" + text);
        assertTrue(text.contains("self-check conv2d float [32,1,28,28]->[32,32,14,14] k4 s2 p1 ok"), text);
        assertTrue(text.contains("self-check gemm double [128,250]x[250,128] A^T ok"), "the feature statistics:\n"
                + text);
        assertTrue(!text.contains("hunter2") && text.contains("<redacted>"), "secrets stay out of the output");
    }

    @Test
    void aPerturbedKernelIsWrongInDoctorAndStopsTrainBeforeItWrites(@TempDir Path tmp) throws Exception {
        Map<String, String> perturbed = Map.of("SPARKGAN_SELFCHECK_PERTURB", "conv2d_bp");
        Forked doctor = Forked.run(List.of("doctor", "--set", "spark.master=local[2]"), perturbed);
        assertEquals(1, doctor.code, doctor.output);
        assertTrue(doctor.output.lines().anyMatch(l -> l.matches(LINE) && l.startsWith("self-check conv2d_bp float")
                && l.contains(" WRONG ")), doctor.output);
        assertTrue(doctor.output.lines().anyMatch(l -> l.startsWith("self-check conv2d float") && l.contains(" ok ")),
                "only the perturbed kernel is wrong:\n" + doctor.output);
        assertTrue(doctor.output.contains("sparkgan: doctor: "), doctor.output);

        Path out = tmp.resolve("runs");
        Forked train = Forked.run(List.of("train", "--set", "spark.master=local[2]", "--set", "train.workers=2",
                "--set", "train.steps=2", "--set", "output.dir=" + out, "--set", "run.id=never",
                "--set", "data.shards=" + tmp.resolve("shards"), "--set", "fid.enabled=false"), perturbed);
        assertEquals(1, train.code, train.output);
        List<String> errors = train.output.lines().filter(l -> l.startsWith("sparkgan: ")).toList();
        assertEquals(1, errors.size(), train.output);
        assertTrue(errors.get(0).startsWith("sparkgan: native kernel self-check failed on host ")
                && errors.get(0).contains("(the driver): conv2d_bp float "), train.output);
        assertFalse(train.output.contains("\tat "), "no stack trace:\n" + train.output);
        assertFalse(Files.exists(out.resolve("never")), "no run directory was started");
    }

    /** OpenBLAS 0.3.19's Cooperlake double gemm is wrong from n = 128 on AVX-512 machines. */
    @Test
    void openBlasCooperlakeKernelsAreCaughtOnAvx512Machines() throws Exception {
        Forked doctor = Forked.run(List.of("doctor", "--set", "spark.master=local[2]"),
                Map.of("OPENBLAS_CORETYPE", "COOPERLAKE"));
        List<String> wrong = doctor.output.lines().filter(l -> l.matches(LINE) && l.contains(" WRONG ")).toList();
        if (NativePlatform.current().isaFlags().contains("avx512f")) {
            assertEquals(1, doctor.code, doctor.output);
            assertTrue(doctor.output.contains("openblas: 0.3.19, core Cooperlake"), doctor.output);
            assertTrue(!wrong.isEmpty() && wrong.stream().allMatch(l -> l.startsWith("self-check gemm double")),
                    "double gemm is the wrong kernel:\n" + doctor.output);
        } else {
            // without AVX-512 OpenBLAS cannot run those kernels and picks others; the check still runs
            assertEquals(wrong.isEmpty() ? 0 : 1, doctor.code, doctor.output);
            assertTrue(doctor.output.contains("self-check: "), doctor.output);
        }
    }

    /** A `sparkgan` command in its own JVM (the self-check is once per JVM) with extra environment. */
    private record Forked(int code, String output) {
        static Forked run(List<String> args, Map<String, String> env) throws IOException, InterruptedException {
            ProcessBuilder builder = new ProcessBuilder(OwnJvm.command("2g", args)).redirectErrorStream(true);
            builder.environment().putAll(env);
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(5, TimeUnit.MINUTES), output);
            return new Forked(process.exitValue(), output);
        }
    }

    @Test
    void namesTheHelperLibrariesOfABuild() {
        assertEquals("generic (no oneDNN/cuDNN helpers)", DoctorCommand.nativeHelpers("HAVE_OPENBLAS"));
        assertEquals("cuDNN CUDA", DoctorCommand.nativeHelpers("HAVE_CUDNN\nCUDA 11.6"));
    }
}

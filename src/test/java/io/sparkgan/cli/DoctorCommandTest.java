package io.sparkgan.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** `sparkgan doctor` reports the backend, the native build, the master and the config, and trains nothing. */
class DoctorCommandTest {
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
        assertTrue(!text.contains("hunter2") && text.contains("<redacted>"), "secrets stay out of the output");
    }

    @Test
    void namesTheHelperLibrariesOfABuild() {
        assertEquals("generic (no oneDNN/cuDNN helpers)", DoctorCommand.nativeHelpers("HAVE_OPENBLAS"));
        assertEquals("cuDNN CUDA", DoctorCommand.nativeHelpers("HAVE_CUDNN\nCUDA 11.6"));
    }
}

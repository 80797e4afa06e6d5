package io.sparkgan.cli;

import io.sparkgan.config.SparkganConfig;
import io.sparkgan.io.BuildInfo;
import io.sparkgan.model.KernelCase;
import io.sparkgan.model.KernelSelfCheck;
import io.sparkgan.runtime.NativePlatform;
import io.sparkgan.runtime.NativeSelfCheck;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Print what this process would train with: ND4J backend, devices and native build",
                "(oneDNN / cuDNN), the CPU and the OpenBLAS core, a self-check of every native kernel the configured",
                "jobs call at their shapes, the Spark master, and the resolved config. Exits 1 when a kernel is wrong.",
                "Starts neither Spark (unless --executors) nor training."})
final class DoctorCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--executors", description = "Also run the self-check on every executor of the configured"
            + " master (starts Spark).")
    boolean executors;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        SparkganConfig config = options.load();
        PrintWriter out = spec.commandLine().getOut();
        out.println("sparkgan " + BuildInfo.version());
        out.println("java " + System.getProperty("java.version") + ", " + Runtime.getRuntime().availableProcessors()
                + " cores, max heap " + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        out.println("nd4j backend: " + Nd4j.getBackend().getClass().getName() + ", "
                + Nd4j.getAffinityManager().getNumberOfDevices() + " device(s), this thread on device "
                + Nd4j.getAffinityManager().getDeviceForCurrentThread());
        Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
        for (String key : new TreeSet<>(env.stringPropertyNames())) {
            out.println("  " + key + " = " + env.getProperty(key));
        }
        String build = NativeOpsHolder.getInstance().getDeviceNativeOps().buildInfo();
        out.println("native build: " + nativeHelpers(build));
        out.println("  " + build.replace("\n", "\n  ").trim());
        NativePlatform platform = NativePlatform.current();
        out.println("cpu: " + platform.cpuModelName() + " (" + platform.vendor() + " family " + platform.family()
                + " model " + platform.model() + " stepping " + platform.stepping() + "), flags: "
                + String.join(" ", platform.isaFlags()));
        out.println("openblas: " + platform.openBlasVersion() + ", core " + platform.openBlasCore()
                + ", OPENBLAS_CORETYPE " + platform.openBlasCoretypeEnv());
        out.println("onednn: instruction set not readable from libnd4j; ONEDNN_MAX_CPU_ISA "
                + platform.onednnMaxIsaEnv());
        List<KernelCase> cases = KernelChecks.forConfig(config);
        long started = System.nanoTime();
        List<KernelSelfCheck.Result> results = NativeSelfCheck.report(cases);
        results.forEach(r -> out.println(r.line()));
        long wrong = results.stream().filter(r -> !r.ok()).count();
        out.println(String.format(Locale.ROOT, "self-check: %d kernel shapes in %.2f s, %s", results.size(),
                (System.nanoTime() - started) / 1e9, wrong == 0 ? "all right" : wrong + " WRONG"));
        SparkConf spark = SparkContexts.conf(config.spark(), "doctor");
        out.println("spark master: " + spark.get("spark.master", "(none)")
                + (config.spark().masterExplicit() ? " (set in the config)" : " (spark-submit's, or the default)"));
        if (executors) {
            wrong += checkExecutors(config, cases, out);
        }
        out.println("resolved config (secrets redacted):");
        out.print(config.renderedForRunDirectory());
        out.flush();
        if (wrong > 0) {
            spec.commandLine().getErr().println("sparkgan: doctor: " + wrong + " native kernel check(s) WRONG; see the"
                    + " self-check lines above and set OPENBLAS_CORETYPE (gemm) or ONEDNN_MAX_CPU_ISA (the others)"
                    + " before java starts");
            return Main.FAILED;
        }
        return 0;
    }

    /** Runs the check on every executor; returns how many executors had a wrong kernel. */
    private static long checkExecutors(SparkganConfig config, List<KernelCase> cases, PrintWriter out) {
        long wrong = 0;
        try (JavaSparkContext sc = SparkContexts.start(config.spark(), "doctor")) {
            List<KernelChecks.OnExecutor> outcomes = KernelChecks.onExecutors(sc, cases);
            for (KernelChecks.OnExecutor o : outcomes) {
                out.println("executor " + o.executor() + " on " + o.host() + ": " + o.platform() + ": "
                        + (o.wrong() ? "WRONG" : "all " + o.lines().size() + " kernel shapes right"));
                o.lines().forEach(line -> out.println("  " + line));
                wrong += o.wrong() ? 1 : 0;
            }
            out.println("self-check ran on " + outcomes.size() + " executor(s)");
        }
        return wrong;
    }

    /** The accelerated op libraries compiled into libnd4j, from its build description. */
    static String nativeHelpers(String buildInfo) {
        String b = buildInfo.toLowerCase(Locale.ROOT);
        StringBuilder s = new StringBuilder();
        if (b.contains("onednn") || b.contains("mkldnn")) {
            s.append("oneDNN ");
        }
        if (b.contains("cudnn")) {
            s.append("cuDNN ");
        }
        if (b.contains("cuda")) {
            s.append("CUDA ");
        }
        return s.length() == 0 ? "generic (no oneDNN/cuDNN helpers)" : s.toString().trim();
    }
}

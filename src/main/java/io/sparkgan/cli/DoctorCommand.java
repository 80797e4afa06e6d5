package io.sparkgan.cli;

import io.sparkgan.config.SparkganConfig;
import io.sparkgan.io.BuildInfo;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Print what this process would train with: ND4J backend, devices and native build",
                "(oneDNN / cuDNN), the Spark master, and the resolved config. Starts neither Spark nor training."})
final class DoctorCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

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
        SparkConf spark = SparkContexts.conf(config.spark(), "doctor");
        out.println("spark master: " + spark.get("spark.master", "(none)")
                + (config.spark().masterExplicit() ? " (set in the config)" : " (spark-submit's, or the default)"));
        out.println("resolved config (secrets redacted):");
        out.print(config.renderedForRunDirectory());
        return 0;
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

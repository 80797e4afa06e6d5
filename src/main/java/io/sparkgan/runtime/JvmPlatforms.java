package io.sparkgan.runtime;

import io.sparkgan.model.KernelCase;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The JVMs of a run as its provenance records them: for each, its role, executor id and host, its
 * {@link NativePlatform} (CPU, ISA flags, OpenBLAS version and core) and its self-check result. The
 * kernels OpenBLAS and oneDNN pick differ between processors, and dense layers' sgemm rounds
 * differently under another core, so these say which machines a run's bits came from.
 */
public final class JvmPlatforms {
    private JvmPlatforms() {
    }

    /** This JVM's entry: a plain map of strings, numbers and lists, serialisable and JSON-ready. */
    public static Map<String, Object> here() {
        Map<String, Object> m = new LinkedHashMap<>();
        SparkEnv env = SparkEnv.get();
        String executor = env == null ? "none" : env.executorId();
        m.put("role", "driver".equals(executor) || env == null ? "driver" : "executor");
        m.put("executor_id", executor);
        m.put("host", host());
        m.putAll(NativePlatform.current().toMap());
        m.put("self_check", NativeSelfCheck.summary());
        return m;
    }

    /** "executor 3 on host", "driver on host": the key entries are kept by. */
    public static String key(Map<String, Object> platform) {
        return ("driver".equals(platform.get("role")) ? "driver" : "executor " + platform.get("executor_id"))
                + " on " + platform.get("host");
    }

    /**
     * The executors' entries, from a job of a few tasks per task slot, each of which first runs the
     * self-check of {@code kernels} on its JVM; so a wrong kernel stops the run before its first step.
     * Executors that get no task (or join later) are recorded by the checkpoints whose steps they run.
     */
    public static List<Map<String, Object>> ofExecutors(JavaSparkContext sc, Collection<KernelCase> kernels,
                                                        int threads) {
        List<KernelCase> cases = List.copyOf(kernels);
        int tasks = Math.max(1, sc.defaultParallelism());
        sc.setJobDescription("sparkgan: native kernel self-check on the executors");
        Map<String, Map<String, Object>> byKey = new TreeMap<>();
        for (Map<String, Object> p : sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks).map(t -> {
            Nd4jSetup.threads(threads);
            GpuBinding.bindCurrentTask();
            NativeSelfCheck.require(cases);
            return here();
        }).collect()) {
            byKey.putIfAbsent(key(p), p);
        }
        return new ArrayList<>(byKey.values());
    }

    /** The driver's entry, then the executors' (an executor that is the driver, in local mode, once). */
    public static List<Map<String, Object>> withExecutors(Map<String, Object> driver,
                                                          List<Map<String, Object>> executors) {
        Map<String, Map<String, Object>> byKey = new LinkedHashMap<>();
        byKey.put(key(driver), driver);
        executors.forEach(e -> byKey.putIfAbsent(key(e), e));
        return new ArrayList<>(byKey.values());
    }

    private static volatile String host;

    private static String host() {
        String h = host;
        if (h == null) {
            try {
                h = InetAddress.getLocalHost().getHostName();
            } catch (Exception e) {
                h = "unknown";
            }
            host = h;
        }
        return h;
    }
}

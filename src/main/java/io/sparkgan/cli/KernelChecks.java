package io.sparkgan.cli;

import io.sparkgan.config.SparkganConfig;
import io.sparkgan.eval.EvalKernelCases;
import io.sparkgan.model.networks.NetworkKernels;
import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.KernelCase;
import io.sparkgan.model.KernelSelfCheck;
import io.sparkgan.runtime.GpuBinding;
import io.sparkgan.runtime.NativePlatform;
import io.sparkgan.runtime.NativeSelfCheck;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;

/** The self-check as {@code doctor} runs it: every kernel the configured jobs call, here or on each executor. */
final class KernelChecks {
    /** A conditional model's class count is the dataset's; doctor has no dataset, so it checks with this many. */
    private static final int CLASSES_WITHOUT_A_DATASET = 10;

    /** One executor's outcome. */
    record OnExecutor(String executor, String host, String platform, List<String> lines, boolean wrong)
            implements Serializable {}

    private KernelChecks() {
    }

    /** Training, its sample grids, the FID stage with the configured extractor, and the evaluator. */
    static List<KernelCase> forConfig(SparkganConfig config) {
        GanArchitecture a = config.architecture(config.model().conditional() ? CLASSES_WITHOUT_A_DATASET : 0);
        Set<KernelCase> cases = new LinkedHashSet<>(NetworkKernels.training(a, config.train().batchPerWorker()));
        cases.addAll(NetworkKernels.generator(a, config.train().sampleCount()));
        boolean evaluator = !config.fid().extractor().equals("inception");
        cases.addAll(EvalKernelCases.fid(a, config.fid(), EvalKernelCases.featureDimension(config.fid().extractor()),
                evaluator));
        cases.addAll(EvalKernelCases.evaluator(a.imageSize(), a.channels(), 32, true));
        return new ArrayList<>(cases);
    }

    /**
     * Runs the check in tasks spread over the executors (several per executor's cores, so that every
     * executor gets one while the cluster is up) and keeps one outcome per executor.
     */
    static List<OnExecutor> onExecutors(JavaSparkContext sc, List<KernelCase> cases) {
        int tasks = Math.max(1, sc.defaultParallelism()) * 2;
        Map<String, OnExecutor> byExecutor = new TreeMap<>();
        sc.setJobDescription("sparkgan doctor: kernel self-check on every executor");
        for (OnExecutor o : sc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks)
                .map(t -> here(cases)).collect()) {
            byExecutor.putIfAbsent(o.executor(), o);
        }
        return new ArrayList<>(byExecutor.values());
    }

    private static OnExecutor here(List<KernelCase> cases) {
        GpuBinding.bindCurrentTask();
        List<String> lines = new ArrayList<>();
        boolean wrong = false;
        for (KernelSelfCheck.Result r : NativeSelfCheck.report(cases)) {
            lines.add(r.line());
            wrong |= !r.ok();
        }
        SparkEnv env = SparkEnv.get();
        return new OnExecutor(env.executorId(), env.blockManager().blockManagerId().host(),
                NativePlatform.current().summary(), lines, wrong);
    }
}

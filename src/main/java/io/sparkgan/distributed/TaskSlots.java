package io.sparkgan.distributed;

import io.sparkgan.runtime.ExecutorThreads;
import io.sparkgan.step.TrainingException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task slots a collective job needs, watched from the driver: a barrier job runs only when all
 * its tasks can run at once. Before a job starts, waits (bounded by train.executor-wait-seconds) for
 * enough slots, as after an executor was lost and the cluster manager is starting a replacement;
 * when none comes, stops the run naming the executors that were lost and why. Spark's own check
 * would retry for about ten minutes and then fail the job without saying which executor went; and a
 * job it accepted just before an executor went would wait for ever ({@link #run}).
 */
final class TaskSlots {
    private static final Logger LOG = LoggerFactory.getLogger(TaskSlots.class);
    private static final int STRANDED_SECONDS = 3;

    private final JavaSparkContext sc;
    private final int slotsPerExecutor;
    private final List<String> lost = new CopyOnWriteArrayList<>();
    private final SparkListener listener;
    private final AtomicInteger tasksStarted = new AtomicInteger();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sparkgan-task-slots");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean stranded;
    private long shortageSince;

    TaskSlots(JavaSparkContext sc) {
        this.sc = sc;
        this.slotsPerExecutor = slotsPerExecutor(sc.getConf());
        this.listener = new SparkListener() {
            @Override
            public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
                lost.add("executor " + removed.executorId() + " (" + removed.reason() + ")");
            }

            @Override
            public void onTaskStart(SparkListenerTaskStart start) {
                tasksStarted.incrementAndGet();
            }
        };
        sc.sc().addSparkListener(listener);
    }

    /** Stops listening: the context outlives the run (tests, one context for several stages). */
    void close() {
        sc.sc().removeSparkListener(listener);
        timer.shutdownNow();
    }

    /**
     * Runs a barrier job of job group {@code group}, cancelling it when its {@code needed} tasks cannot
     * all start. Spark counts the slots only when it accepts a barrier job; a job accepted just before
     * an executor was lost waits for its slots for ever (its tasks start all together or not at all),
     * with no error. Such a job is cancelled after a few seconds without the slots, and
     * {@link #stranded} says so: it is then a slot shortage, not a failed attempt.
     */
    <T> T run(String group, int needed, Supplier<T> job) {
        stranded = false;
        if (slotsPerExecutor == 0) {
            return job.get();
        }
        tasksStarted.set(0);
        int[] shortSeconds = {0};
        ScheduledFuture<?> watch = timer.scheduleWithFixedDelay(() -> {
            if (tasksStarted.get() >= needed || slots() >= needed) {
                shortSeconds[0] = 0;
            } else if (++shortSeconds[0] >= STRANDED_SECONDS && !stranded) {
                stranded = true;
                LOG.warn("train: the collective job has waited {} s for {} task slots and the cluster has {}:"
                        + " cancelling it", STRANDED_SECONDS, needed, slots());
                sc.cancelJobGroup(group);
            }
        }, 1, 1, TimeUnit.SECONDS);
        try {
            return job.get();
        } finally {
            watch.cancel(false);
        }
    }

    /** Whether the last job {@link #run} ran was cancelled for want of slots. */
    boolean stranded() {
        return stranded;
    }

    /**
     * Task slots an executor gives: its cores over the cores a task takes; 0 when that is not known
     * (local masters, or executors sized by the cluster manager), and then nothing is waited for.
     */
    static int slotsPerExecutor(SparkConf conf) {
        if (ExecutorThreads.localTaskSlots(conf.get("spark.master", "")) > 0 || !conf.contains("spark.executor.cores")) {
            return 0;
        }
        return conf.getInt("spark.executor.cores", 1) / Math.max(1, conf.getInt("spark.task.cpus", 1));
    }

    /** Slots of the executors registered now. */
    private int slots() {
        return (sc.sc().statusTracker().getExecutorInfos().length - 1) * slotsPerExecutor; // less the driver's entry
    }

    /** Returns once {@code needed} slots exist; throws when {@code waitSeconds} pass without them. */
    void await(int needed, long waitSeconds, long from, long stop) {
        if (slotsPerExecutor == 0 || slots() >= needed) {
            return;
        }
        LOG.warn("train: steps {}-{} need {} task slots and the cluster has {}{}; waiting up to {} s for executors",
                from + 1, stop, needed, slots(), lost.isEmpty() ? "" : " (lost: " + String.join(", ", lost) + ")",
                waitSeconds);
        long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (slots() >= needed) {
                LOG.info("train: {} task slots again; running steps {}-{}", slots(), from + 1, stop);
                return;
            }
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw noReplacement(needed, slots(), waitSeconds, from, stop);
    }

    /**
     * Whether a job failed because Spark would not start its barrier stage for want of slots (its
     * SPARK-24819 check, which sparkgan's Spark settings make give up after a few seconds).
     */
    static boolean isSlotShortage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (String.valueOf(t.getMessage()).contains("requires more slots than the total number of slots")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Spark refused to start the job for want of slots (they went between {@link #await} and the
     * job's start, or executors are sized by the cluster manager): waits a second, and stops the run
     * once the shortage has lasted train.executor-wait-seconds.
     */
    void shortage(int needed, long waitSeconds, long from, long stop) {
        long now = System.nanoTime();
        if (shortageSince == 0) {
            shortageSince = now;
            LOG.warn("train: Spark could not start the {} tasks of steps {}-{} at once{}; waiting up to {} s",
                    needed, from + 1, stop, lost.isEmpty() ? "" : " (lost: " + String.join(", ", lost) + ")",
                    waitSeconds);
        }
        if (now - shortageSince > waitSeconds * 1_000_000_000L) {
            throw noReplacement(needed, slotsPerExecutor == 0 ? -1 : slots(), waitSeconds, from, stop);
        }
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A job started: the next shortage is counted from its own start. */
    void started() {
        shortageSince = 0;
    }

    private TrainingException noReplacement(int needed, int have, long waitSeconds, long from, long stop) {
        return new TrainingException("steps " + (from + 1) + "-" + stop + ": the collective job needs " + needed
                + " task slots and the cluster has had " + (have < 0 ? "fewer" : have) + " for " + waitSeconds + " s: "
                + (lost.isEmpty() ? "executors did not register" : String.join(", ", lost) + " lost")
                + ", and no replacement came within train.executor-wait-seconds = " + waitSeconds + ". Nothing after"
                + " step " + from + " was kept. Give the job its executors again (or use train.sync = driver, which"
                + " runs on fewer) and rerun the same command: it resumes.", from);
    }
}

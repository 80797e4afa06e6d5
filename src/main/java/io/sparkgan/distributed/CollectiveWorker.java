package io.sparkgan.distributed;

import io.sparkgan.config.TrainConfig;
import io.sparkgan.data.DataException;
import io.sparkgan.data.DatasetChangedException;
import io.sparkgan.data.WorkerInput;
import io.sparkgan.model.networks.NetworkKernels;
import io.sparkgan.runtime.NativeSelfCheck;
import io.sparkgan.runtime.Nd4jSetup;
import io.sparkgan.step.GanState;
import io.sparkgan.step.GanStep;
import io.sparkgan.step.Round;
import io.sparkgan.step.RoundCost;
import io.sparkgan.step.RoundStatistics;
import io.sparkgan.step.RoundSums;
import io.sparkgan.step.Rounds;
import io.sparkgan.step.StepStats;
import io.sparkgan.step.TrainingException;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.zip.CRC32;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;

/**
 * One task of a collective job, on an executor: this worker's replica runs {@link GanStep} for a
 * stretch of steps, with rounds that all-reduce among the job's tasks instead of returning to the
 * driver. Every task starts from the same state and applies the same sums, so all end with the same
 * parameters; task 0 brings the state back, the others only a fingerprint of theirs for the driver
 * to compare.
 */
final class CollectiveWorker {
    /** How long the all-reduce waits without any byte moving before it gives up on a peer. */
    static final long STALL_MILLIS = 10 * 60 * 1000L;

    /**
     * What the driver sends a collective job (as one broadcast).
     *
     * @param until the step to stop at
     * @param token proves that a connecting task belongs to this job
     */
    record Job(GanState state, long until, TrainConfig train, RoundRequest.Settings settings, byte[] token,
               String rendezvous) implements Serializable {}

    /**
     * What one task returns.
     *
     * @param state the state after the job's steps (task 0 only, else null)
     * @param stats each step's figures (task 0 only)
     * @param failure a {@link TrainingException}'s message when training stopped (all tasks agree on it)
     * @param executor where the task ran ("executor 3 on host-a"), for naming a straggler
     * @param computeNanos this task's own time computing its shares, over the job (the others wait
     *     for the slowest in every round)
     */
    record Result(int rank, long fingerprint, GanState state, List<StepStats> stats, String failure,
                  long failedStep, String executor, long computeNanos) implements Serializable {}

    private CollectiveWorker() {
    }

    static Iterator<Result> run(Iterator<WorkerInput> partitions, Job job) {
        BarrierTaskContext context = BarrierTaskContext.get();
        WorkerInput partition = partitions.next();
        int rank = context.partitionId();
        int size = context.getTaskInfos().length;
        // In local mode every task of this JVM sees the same broadcast object: work on a copy.
        GanState state = job.state().copy();
        List<StepStats> stats = new ArrayList<>();
        String failure = null;
        long failedStep = -1;
        String host = SparkEnv.get().blockManager().blockManagerId().host();
        // before joining the chain: a wrong kernel fails this task, and so the stage, with its own message
        Nd4jSetup.threads(job.settings().threads());
        NativeSelfCheck.require(NetworkKernels.training(job.settings().architecture(),
                job.settings().batchPerWorker()));
        AllReduceRounds rounds = null;
        ChainAllReduce.AddressExchange exchange = mine -> Rendezvous.exchange(job.rendezvous(), job.token(), rank, mine,
                context::isInterrupted, STALL_MILLIS);
        try (ChainAllReduce allReduce = ChainAllReduce.connect(rank, size, host, job.token(), exchange,
                context::isInterrupted, STALL_MILLIS)) {
            rounds = new AllReduceRounds(allReduce, partition, job.settings());
            GanStep step = new GanStep(job.train(), rounds, state);
            try {
                while (state.step() < job.until()) {
                    stats.add(step.run());
                }
            } catch (TrainingException e) {
                // every task reaches the same verdict from the same sums: report it, do not fail the
                // task (the job would be run again and stop at the same place)
                failure = e.getMessage();
                failedStep = e.step();
            } catch (RuntimeException e) {
                String reason = firstCause(e, rank);
                allReduce.abort(reason);
                throw new CollectiveJobException(reason, e);
            } catch (Error e) { // out of memory and the like: tell the others, then let Spark see it as it is
                allReduce.abort(firstCause(e, rank));
                throw e;
            }
        } catch (IOException e) {
            throw new CollectiveJobException("task " + rank + " of " + size + " could not join the all-reduce: "
                    + e.getMessage(), e);
        }
        String executor = "executor " + SparkEnv.get().executorId() + " on " + host;
        Result result = rank == 0
                ? new Result(rank, fingerprint(state), state, stats, failure, failedStep, executor, rounds.computeNanos)
                : new Result(rank, fingerprint(state), null, List.of(), failure, failedStep, executor,
                        rounds.computeNanos);
        return List.of(result).iterator();
    }

    /**
     * A round inside a collective job: this worker's sums, computed exactly as {@link PartitionWorker}
     * computes them for a driver round, then all-reduced with the other workers' in worker order.
     * Every worker gets the {@link RoundSums} the driver would have added up from the same results.
     */
    private static final class AllReduceRounds implements Rounds {
        private final ChainAllReduce allReduce;
        private final WorkerInput partition;
        private final RoundRequest.Settings settings;
        long computeNanos; // this worker's own, summed over the job's rounds

        AllReduceRounds(ChainAllReduce allReduce, WorkerInput partition, RoundRequest.Settings settings) {
            this.allReduce = allReduce;
            this.partition = partition;
            this.settings = settings;
        }

        @Override
        public RoundSums run(Round round, GanState state) {
            long started = System.nanoTime();
            RoundSums mine = PartitionWorker.run(new RoundRequest(round, settings), state.generator(),
                    state.discriminatorInUse(), partition).sums();
            computeNanos += System.nanoTime() - started;
            float[] d = mine.discriminatorGradient();
            float[] g = mine.generatorGradient();
            float[][] vectors = d == null ? new float[][] {g} : g == null ? new float[][] {d} : new float[][] {d, g};
            double[] sums = mine.statistics().sums();
            double[] maxima = mine.statistics().maxima();
            try {
                allReduce.allReduce(vectors, sums, maxima);
            } catch (IOException e) {
                throw new UncheckedIOException("step " + (round.step() + 1) + ", worker " + allReduce.rank() + " of "
                        + allReduce.size() + ": " + e.getMessage(), e);
            }
            RoundStatistics statistics = RoundStatistics.reduced(sums, maxima);
            long floats = (d == null ? 0 : d.length) + (g == null ? 0 : g.length);
            // every link carries the vector and the statistics once each way
            long bytes = 2L * (allReduce.size() - 1) * (4 * floats + 8L * (sums.length + maxima.length));
            return RoundSums.ofWorker(d, g, statistics).withCost(new RoundCost(System.nanoTime() - started,
                    statistics.computeNanos(), statistics.dataWaitNanos(), 0, bytes));
        }
    }

    /**
     * The failure to report for the whole job: the one a neighbour relayed (it names the task where it
     * began), or this task's own.
     */
    private static String firstCause(Throwable e, int rank) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ChainAllReduce.PeerFailedException) {
                return t.getMessage();
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DatasetChangedException) { // as class: message, which the driver finds in the text
                return "task " + rank + " failed: " + t;
            }
            if (t instanceof DataException) { // its message already names the input and what to do
                return "task " + rank + " failed: " + t.getMessage();
            }
        }
        return "task " + rank + " failed: " + e;
    }

    /** A collective job's task failed; the message names the task where the failure began and why. */
    static final class CollectiveJobException extends RuntimeException {
        CollectiveJobException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A checksum of both networks' parameters (and D's as the rounds use them, which spectral
     * normalisation derives from its vectors), to confirm that every replica ended identical.
     */
    static long fingerprint(GanState state) {
        CRC32 crc = new CRC32();
        ByteBuffer bytes = ByteBuffer.allocate(4 * (state.generator().length + 2 * state.discriminator().length));
        bytes.asFloatBuffer().put(state.generator()).put(state.discriminator()).put(state.discriminatorInUse());
        crc.update(bytes.array());
        return crc.getValue() ^ (state.step() << 32);
    }
}

package io.sparkgan.train;

import io.sparkgan.config.TrainConfig;
import io.sparkgan.model.GanArchitecture;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * train.sync = driver: one Spark job per round ({@link SparkRounds}); the driver sums the workers'
 * gradients and applies the optimiser step. Runs on any cluster, including with dynamic allocation.
 */
final class DriverStepRunner implements StepRunner {
    private final SparkRounds rounds;
    private final GanStep step;

    DriverStepRunner(JavaSparkContext sc, JavaRDD<TrainingPartition> partitions, GanArchitecture architecture,
                     TrainConfig train, int threads, GanState state) {
        this.rounds = new SparkRounds(sc, partitions, architecture, train, threads);
        this.step = new GanStep(train, rounds, state, new Guard(train));
    }

    /** One step at a time, so that progress shows after every step. */
    @Override
    public void runSteps(long until, Consumer<StepStats> onStep) {
        onStep.accept(step.run());
    }

    @Override
    public String describe() {
        return "a Spark job per round, gradients summed on the driver (train.sync = driver)";
    }

    @Override
    public void close() {
        rounds.close();
    }
}

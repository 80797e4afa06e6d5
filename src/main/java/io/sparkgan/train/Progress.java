package io.sparkgan.train;

import io.sparkgan.config.TrainConfig;
import io.sparkgan.step.StepStats;
import java.time.Duration;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a user sees of a running job: every train.log-every steps (and the first and last) a line in
 * {@code metrics.jsonl} and a progress line on the driver's log with the losses, throughput and ETA.
 */
final class Progress {
    // the train stage's logger, so progress lines read "TrainingJob: step 10/2000 ..." as before
    private static final Logger LOG = LoggerFactory.getLogger(TrainingJob.class);

    private final TrainConfig train;
    private final MetricsLog metrics;
    private final long started = System.nanoTime();
    private double meanStepSeconds = Double.NaN;

    Progress(TrainConfig train, MetricsLog metrics) {
        this.train = train;
        this.metrics = metrics;
    }

    /** A step's figures: the ETA's running mean, and a metrics line and progress line when due. */
    void stepDone(StepStats stats) {
        long done = stats.step() + 1;
        double seconds = stats.wallNanos() / 1e9;
        meanStepSeconds = Double.isNaN(meanStepSeconds) ? seconds : 0.9 * meanStepSeconds + 0.1 * seconds;
        if (done % train.logEvery() == 0 || done == train.steps() || done == 1) {
            metrics.append(stats, (System.nanoTime() - started) / 1e9, train.workers());
            LOG.info(line(stats));
        }
    }

    private String line(StepStats s) {
        long done = s.step() + 1;
        double eta = (train.steps() - done) * meanStepSeconds;
        return String.format(Locale.ROOT,
                "step %d/%d | D loss %.3f G loss %.3f | D(x) %.3f D(G(z)) %.3f | %.0f img/s | compute %.0f%% | ETA %s",
                done, train.steps(), s.discriminatorLoss(), s.generatorLoss(), s.realScore(), s.fakeScore(),
                s.images() / (s.wallNanos() / 1e9), 100.0 * s.cost().computeNanos() / s.wallNanos(), duration(eta));
    }

    /** "1h02m", "3m05s" or "4.2s". */
    static String duration(double seconds) {
        Duration d = Duration.ofMillis((long) (seconds * 1000));
        if (d.toHours() > 0) {
            return String.format(Locale.ROOT, "%dh%02dm", d.toHours(), d.toMinutesPart());
        }
        if (d.toMinutes() > 0) {
            return String.format(Locale.ROOT, "%dm%02ds", d.toMinutes(), d.toSecondsPart());
        }
        return String.format(Locale.ROOT, "%.1fs", seconds);
    }
}

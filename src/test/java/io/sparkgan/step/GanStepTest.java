package io.sparkgan.step;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkgan.config.ConfigLoader;
import io.sparkgan.config.TrainConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link GanStep} against a fake {@link Rounds}: no Spark, no networks. The fake answers every round
 * with fixed gradient sums and records what it was asked and which parameters it saw, so each test
 * checks the order of rounds and updates and the update itself against an independent Adam.
 */
class GanStepTest {
    private static final int G_SIZE = 3;
    private static final int D_SIZE = 2;
    private static final int IMAGES = 8;

    /** Answers each round with gradient sums {@code dSum}/{@code gSum} and the given D loss sum. */
    private static final class FakeRounds implements Rounds {
        final List<Round> asked = new ArrayList<>();
        final List<float[]> discriminatorSeen = new ArrayList<>();
        float[] dSum = {0.8f, -1.6f};
        float[] gSum = {2.4f, 0f, -0.8f};
        double dLossSum = 5.0;

        @Override
        public RoundSums run(Round round, GanState state) {
            asked.add(round);
            discriminatorSeen.add(state.discriminator().clone());
            RoundStatistics statistics = new RoundStatistics(dLossSum, 3.0, 4.0, 2.0, 0, IMAGES, 1000, 0);
            return RoundSums.ofWorker(round.needsDiscriminatorGradient() ? dSum.clone() : null,
                    round.needsGeneratorGradient() ? gSum.clone() : null, statistics)
                    .withCost(new RoundCost(5000, 1000, 0, 100, 64));
        }
    }

    private static TrainConfig train(String... sets) {
        List<String> all = new ArrayList<>(List.of("train.ema-half-life=0"));
        all.addAll(Arrays.asList(sets));
        return ConfigLoader.load((Path) null, all).train();
    }

    private static GanState state(TrainConfig train) {
        return new GanState(new float[] {0.1f, 0.2f, 0.3f}, new float[] {-0.1f, 0.5f}, train);
    }

    /** What Adam does with the mean gradient, computed by a separate Adam instance. */
    private static float[] adamFrom(float[] start, float[] sum, int times, double learningRate, TrainConfig train) {
        float[] params = start.clone();
        Adam adam = new Adam(params.length, learningRate, train.adamBeta1(), train.adamBeta2(), train.adamEpsilon());
        for (int i = 0; i < times; i++) {
            adam.step(params, RoundSums.mean(sum, IMAGES));
        }
        return params;
    }

    @Test
    void alternatingStepRunsKDiscriminatorRoundsEachFollowedByItsUpdateThenTheGeneratorRound() {
        TrainConfig train = train("train.d-steps-per-g-step=2");
        GanState state = state(train);
        float[] d0 = state.discriminator().clone();
        float[] g0 = state.generator().clone();
        FakeRounds rounds = new FakeRounds();

        StepStats stats = new GanStep(train, rounds, state).run();

        assertEquals(List.of(Round.discriminator(0, 0), Round.discriminator(0, 1), Round.generator(0)), rounds.asked);
        assertArrayEquals(d0, rounds.discriminatorSeen.get(0), "the first D round sees the initial D");
        assertArrayEquals(adamFrom(d0, rounds.dSum, 1, train.dLearningRate(), train), rounds.discriminatorSeen.get(1),
                "the second D round sees D after one update");
        assertArrayEquals(adamFrom(d0, rounds.dSum, 2, train.dLearningRate(), train), rounds.discriminatorSeen.get(2),
                "G's round is judged by the D updated k times");
        assertArrayEquals(adamFrom(g0, rounds.gSum, 1, train.gLearningRate(), train), state.generator());
        assertEquals(1, state.step());
        assertEquals(5.0 / IMAGES, stats.discriminatorLoss());
        assertEquals(3.0 / IMAGES, stats.generatorLoss());
        assertEquals(3 * 5000, stats.cost().wallNanos(), "three rounds' costs added up");
        assertEquals(3 * 64, stats.cost().bytes());
        assertEquals(0, stats.discriminatorSkipped() + stats.nonFiniteSkipped());
    }

    @Test
    void simultaneousStepComputesBothGradientsInOneRoundAgainstTheSameDiscriminator() {
        TrainConfig train = train("train.order=simultaneous");
        GanState state = state(train);
        float[] d0 = state.discriminator().clone();
        float[] g0 = state.generator().clone();
        FakeRounds rounds = new FakeRounds();

        new GanStep(train, rounds, state).run();
        new GanStep(train, rounds, state).run();

        assertEquals(List.of(Round.both(0), Round.both(1)), rounds.asked);
        assertArrayEquals(adamFrom(d0, rounds.dSum, 2, train.dLearningRate(), train), state.discriminator());
        assertArrayEquals(adamFrom(g0, rounds.gSum, 2, train.gLearningRate(), train), state.generator());
    }

    @Test
    void discriminatorSkipHeuristicHoldsBackOnlyDsUpdate() {
        TrainConfig train = train("train.d-skip-below=1.0");
        GanState state = state(train);
        float[] d0 = state.discriminator().clone();
        FakeRounds rounds = new FakeRounds();
        rounds.dLossSum = 0.5 * IMAGES; // mean D loss 0.5, below the threshold

        StepStats stats = new GanStep(train, rounds, state).run();

        assertArrayEquals(d0, state.discriminator(), "D not updated");
        assertNotEquals(0.1f, state.generator()[0], "G updated");
        assertEquals(1, stats.discriminatorSkipped());
    }

    @Test
    void aNonFiniteGradientIsNeverApplied() {
        TrainConfig skip = train("train.on-non-finite=skip");
        GanState state = state(skip);
        float[] d0 = state.discriminator().clone();
        FakeRounds rounds = new FakeRounds();
        rounds.dSum = new float[] {Float.NaN, 1f};

        StepStats stats = new GanStep(skip, rounds, state).run();
        assertArrayEquals(d0, state.discriminator());
        assertEquals(1, stats.nonFiniteSkipped());
        assertEquals(1, state.guard().consecutiveSkippedSteps(), "the guard's count is in the state");

        GanState stopped = state(train());
        TrainingException e = assertThrows(TrainingException.class, () -> new GanStep(train(), rounds, stopped).run());
        assertTrue(e.getMessage().startsWith("step 1: the discriminator gradient holds NaN (at index 0)"),
                e.getMessage());
        assertArrayEquals(d0, stopped.discriminator());
    }
}

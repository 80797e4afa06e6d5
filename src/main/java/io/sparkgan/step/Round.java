package io.sparkgan.step;

import java.io.Serializable;

/**
 * One round of a step: every worker computes the gradients {@link #kind} names against the current
 * parameters, and the sums come back. Which real images and which noise a round uses is decided
 * from this value on the data side ({@code distributed.RoundInputs}), nowhere else.
 *
 * @param step the step the round belongs to (0-based)
 * @param discriminatorRound which of the step's k discriminator rounds (0 for G's round)
 */
public record Round(Kind kind, long step, int discriminatorRound) implements Serializable {

    /** D's gradient, G's gradient, or both against the same D (the simultaneous order). */
    public enum Kind { DISCRIMINATOR, GENERATOR, BOTH }

    /** The {@code round}-th of step {@code step}'s discriminator rounds. */
    public static Round discriminator(long step, int round) {
        return new Round(Kind.DISCRIMINATOR, step, round);
    }

    /** Step {@code step}'s generator round. */
    public static Round generator(long step) {
        return new Round(Kind.GENERATOR, step, 0);
    }

    /** Step {@code step}'s only round in the simultaneous order: both gradients against the same D. */
    public static Round both(long step) {
        return new Round(Kind.BOTH, step, 0);
    }

    public boolean needsDiscriminatorGradient() {
        return kind != Kind.GENERATOR;
    }

    public boolean needsGeneratorGradient() {
        return kind != Kind.DISCRIMINATOR;
    }

    /** "step 3/30: D round 1/2", for Spark's job descriptions and error messages. */
    public String describe(long steps, int discriminatorRounds) {
        String what = switch (kind) {
            case DISCRIMINATOR -> "D round " + (discriminatorRound + 1) + "/" + discriminatorRounds;
            case GENERATOR -> "G round";
            case BOTH -> "D and G round";
        };
        return "step " + (step + 1) + "/" + steps + ": " + what;
    }
}

package io.sparkgan.step;

/** Training cannot go on; the message says at which step and why. */
public final class TrainingException extends RuntimeException {
    private final long step;

    public TrainingException(String message, long step) {
        super(message);
        this.step = step;
    }

    public long step() {
        return step;
    }
}

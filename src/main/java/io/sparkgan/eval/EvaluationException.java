package io.sparkgan.eval;

/**
 * An evaluation (FID, KID, their features) cannot run; the message names the input that is missing
 * or wrong (config key, file) and what was expected.
 */
public final class EvaluationException extends RuntimeException {
    public EvaluationException(String message) {
        super(message);
    }

    public EvaluationException(String message, Throwable cause) {
        super(message, cause);
    }
}

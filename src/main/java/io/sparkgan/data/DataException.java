package io.sparkgan.data;

/** The dataset cannot be prepared or read; the message names the input and what was expected. */
public class DataException extends RuntimeException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}

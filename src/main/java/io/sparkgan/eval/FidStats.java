package io.sparkgan.eval;

/**
 * The Gaussian summary of a feature set that the Fréchet distance compares: mean {@code mu} [d] and
 * covariance {@code sigma} [d × d], row-major. Arrays are held as given, not copied.
 */
public record FidStats(double[] mu, double[] sigma, int dimension) {
    public FidStats {
        if (dimension < 1) {
            throw new IllegalArgumentException("dimension must be at least 1, got " + dimension);
        }
        if (mu.length != dimension) {
            throw new IllegalArgumentException("mu has " + mu.length + " values, expected " + dimension);
        }
        if (sigma.length != (long) dimension * dimension) {
            throw new IllegalArgumentException("sigma has " + sigma.length + " values, expected " + dimension + " × "
                    + dimension + " = " + (long) dimension * dimension);
        }
    }
}

package io.sparkgan.train;

/** Stops training at the first non-finite loss or gradient, naming the step and the network. */
final class Guard {
    private Guard() {
    }

    static void finite(long step, String network, double lossSum, float[] gradient) {
        if (!Double.isFinite(lossSum)) {
            throw new TrainingException("step " + (step + 1) + ": the " + network + " loss is " + lossSum
                    + "; training diverged (try lower learning rates). Parameters were not updated with it.", step);
        }
        for (int i = 0; i < gradient.length; i++) {
            if (!Float.isFinite(gradient[i])) {
                throw new TrainingException("step " + (step + 1) + ": the " + network + " gradient holds " + gradient[i]
                        + " (at index " + i + "); training diverged (try lower learning rates). Parameters were not"
                        + " updated with it.", step);
            }
        }
    }
}

package io.sparkgan.train;

import java.io.Serial;
import java.io.Serializable;

/**
 * What one partition sends back for one round: gradient sums (not means) and statistic sums, so the
 * driver can add partitions up and divide by the global image count.
 *
 * @param bfloat16 the gradients hold bfloat16 values (train.gradient-transfer = bf16) and travel as
 *                 16 bits each; they were rounded on the executor, so the wire form loses nothing more
 */
public record PartitionResult(int partition, float[] discriminatorGradient, float[] generatorGradient,
                              double discriminatorLoss, double generatorLoss, double realScore,
                              double fakeScore, int images, long computeNanos, boolean bfloat16)
        implements Serializable {

    /** Bytes each gradient value takes on the wire. */
    int bytesPerGradientValue() {
        return bfloat16 ? 2 : 4;
    }

    @Serial
    private Object writeReplace() {
        return bfloat16 ? new Bfloat16Form(this) : this;
    }

    /** The serialised form of a bfloat16 result: 16 bits per gradient value. */
    private record Bfloat16Form(int partition, short[] discriminatorGradient, short[] generatorGradient,
                                double discriminatorLoss, double generatorLoss, double realScore, double fakeScore,
                                int images, long computeNanos) implements Serializable {
        Bfloat16Form(PartitionResult r) {
            this(r.partition, Bfloat16.pack(r.discriminatorGradient), Bfloat16.pack(r.generatorGradient),
                    r.discriminatorLoss, r.generatorLoss, r.realScore, r.fakeScore, r.images, r.computeNanos);
        }

        @Serial
        private Object readResolve() {
            return new PartitionResult(partition, Bfloat16.unpack(discriminatorGradient),
                    Bfloat16.unpack(generatorGradient), discriminatorLoss, generatorLoss, realScore, fakeScore, images,
                    computeNanos, true);
        }
    }
}

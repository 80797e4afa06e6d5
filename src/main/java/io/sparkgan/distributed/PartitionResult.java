package io.sparkgan.distributed;

import io.sparkgan.step.RoundStatistics;
import io.sparkgan.step.RoundSums;
import java.io.Serial;
import java.io.Serializable;

/**
 * What one worker sends back for one round: its gradient and statistic sums (not means), so that
 * the driver can add the workers' up in worker order and divide by the global image count.
 *
 * @param bfloat16 the gradients hold bfloat16 values (train.gradient-transfer = bf16) and travel as
 *                 16 bits each; they were rounded on the executor, so the wire form loses nothing more
 */
public record PartitionResult(int partition, RoundSums sums, boolean bfloat16) implements Serializable {

    /** Bytes of gradients this result puts on the wire. */
    long gradientBytes() {
        return (long) (bfloat16 ? 2 : 4) * (length(sums.discriminatorGradient()) + length(sums.generatorGradient()));
    }

    private static int length(float[] values) {
        return values == null ? 0 : values.length;
    }

    @Serial
    private Object writeReplace() {
        return bfloat16 ? new Bfloat16Form(this) : this;
    }

    /** The serialised form of a bfloat16 result: 16 bits per gradient value. */
    private record Bfloat16Form(int partition, short[] discriminatorGradient, short[] generatorGradient,
                                RoundStatistics statistics) implements Serializable {
        Bfloat16Form(PartitionResult r) {
            this(r.partition, Bfloat16.pack(r.sums.discriminatorGradient()),
                    Bfloat16.pack(r.sums.generatorGradient()), r.sums.statistics());
        }

        @Serial
        private Object readResolve() {
            return new PartitionResult(partition, RoundSums.ofWorker(Bfloat16.unpack(discriminatorGradient),
                    Bfloat16.unpack(generatorGradient), statistics), true);
        }
    }
}

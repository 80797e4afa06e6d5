package io.sparkgan.eval;

import io.sparkgan.model.GanArchitecture;
import io.sparkgan.model.GanLoss;
import io.sparkgan.model.GanReplica;
import io.sparkgan.runtime.Nd4jSetup;
import io.sparkgan.runtime.ReplicaCache;
import java.io.ByteArrayInputStream;
import java.io.Serializable;
import java.util.Map;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What {@code sample} draws images with, shipped to the executors: a checkpoint's exported graph
 * (DCGAN and resnet), or, for a style-based generator, its parameters run through the training forward
 * pass, which is where truncation, style mixing and the noise modes live.
 */
interface SampleGenerator extends Serializable {
    /** Images [n, channels, size, size] in [-1, 1] for z [n·latent] of slots [first, first + n); labels or null. */
    INDArray generate(float[] z, int n, int latent, int[] labels, long first);

    /** The exported graph: placeholder {@code z} (and {@code labels}), output {@code images}. */
    static SampleGenerator graph(byte[] bytes) {
        return new Graph(bytes);
    }

    /** A style-based G of {@code architecture} with these parameters, run as {@code style} says for {@code seed}. */
    static SampleGenerator style(GanArchitecture architecture, float[] params, SampleStyle style, long seed) {
        return new Style(architecture, params, style, seed);
    }

    /** Loads a graph's bytes. */
    static SameDiff load(byte[] graph) {
        Nd4jSetup.quietLogs();
        try {
            return SameDiff.load(new ByteArrayInputStream(graph), false);
        } catch (RuntimeException e) {
            throw new EvaluationException("cannot load the generator graph: " + e.getMessage());
        }
    }

    final class Graph implements SampleGenerator {
        private final byte[] bytes;
        private transient SameDiff graph;

        Graph(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public INDArray generate(float[] z, int n, int latent, int[] labels, long first) {
            if (graph == null) {
                graph = load(bytes);
            }
            INDArray input = Nd4j.create(z, new long[] {n, latent}, DataType.FLOAT);
            Map<String, INDArray> placeholders = labels == null ? Map.of("z", input)
                    : Map.of("z", input, "labels", Nd4j.createFromArray(labels));
            return graph.output(placeholders, "images").get("images").castTo(DataType.FLOAT).dup('c');
        }
    }

    record Style(GanArchitecture architecture, float[] params, SampleStyle style, long seed) implements SampleGenerator {
        @Override
        public INDArray generate(float[] z, int n, int latent, int[] labels, long first) {
            GanReplica replica = ReplicaCache.get(architecture, GanLoss.NON_SATURATING, 1.0);
            replica.setGenerator(params);
            return replica.generate(Nd4j.create(z, new long[] {n, latent}, DataType.FLOAT), labels,
                    style.styling(seed, first, n, latent)).castTo(DataType.FLOAT).dup('c');
        }
    }
}

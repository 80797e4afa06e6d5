package io.sparkgan.config;

import java.io.Serializable;

/**
 * The {@code fid} section: how generators are scored.
 *
 * @param enabled score the last checkpoint at the end of {@code train}
 * @param extractor {@code evaluator} (a classifier trained on the dataset) or {@code inception}
 * @param samples generated images per checkpoint, and real images for the reference statistics
 * @param batch images per forward pass on an executor
 * @param partitions Spark partitions the samples are spread over (0 = train.workers)
 * @param inceptionWeights URI of the Keras InceptionV3 .h5 (extractor = inception)
 * @param evaluatorEpochs epochs the evaluator classifier trains for
 * @param evaluatorImages at most this many training images for the evaluator (0 = all)
 * @param kidSubsets number of random subsets KID averages over
 * @param kidSubsetSize images per KID subset
 * @param scoreRaw score a checkpoint's raw generator as well as its EMA one
 */
public record FidConfig(boolean enabled, String extractor, int samples, int batch, int partitions,
                        String inceptionWeights, int evaluatorEpochs, long evaluatorImages, int kidSubsets, int kidSubsetSize,
                        boolean scoreRaw)
        implements Serializable {

    public int partitionsOr(int workers) {
        return partitions > 0 ? partitions : workers;
    }
}

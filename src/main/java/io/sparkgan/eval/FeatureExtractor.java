package io.sparkgan.eval;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Maps images to feature vectors whose statistics the Fréchet distance compares. Every report names
 * the extractor and the SHA-256 of its weights, because an FID is only comparable between figures
 * computed with the same features.
 */
public interface FeatureExtractor {

    /** Short name as used in config and reports: {@code evaluator} or {@code inception}. */
    String name();

    /** SHA-256 (hex) of the weights file: identifies the exact features. */
    String contentHash();

    /** Length of one feature vector. */
    int featureDim();

    /**
     * Features of a batch of images laid out as the training data is: float NCHW, values in [-1, 1],
     * the dataset's channels and size. Returns a DOUBLE array [n, featureDim()].
     */
    INDArray features(INDArray images);
}

package io.sparkgan.eval;

import io.sparkgan.io.Storage;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.fs.Path;

/**
 * Opens feature extractors on executors, one per task thread (DL4J networks are not thread-safe)
 * and kept for the life of the thread, since loading weights costs far more than one batch.
 */
final class Extractors {
    private static final ThreadLocal<ExtractorSpec> SPEC = new ThreadLocal<>();
    private static final ThreadLocal<FeatureExtractor> EXTRACTOR = new ThreadLocal<>();

    private Extractors() {
    }

    static FeatureExtractor open(ExtractorSpec spec, Storage storage) {
        if (!spec.equals(SPEC.get())) {
            EXTRACTOR.set(load(spec, storage));
            SPEC.set(spec);
        }
        return EXTRACTOR.get();
    }

    private static FeatureExtractor load(ExtractorSpec spec, Storage storage) {
        FeatureExtractor extractor = switch (spec.name()) {
            case "evaluator" -> {
                try {
                    yield EvaluatorClassifier.fromBytes(storage.readBytes(new Path(spec.uri())));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read the evaluator " + spec.uri() + ": " + e.getMessage(), e);
                }
            }
            case "inception" -> InceptionExtractor.fromLocation(spec.uri(), storage);
            default -> throw new IllegalArgumentException("unknown feature extractor " + spec.name());
        };
        if (!extractor.contentHash().equals(spec.sha256())) {
            throw new EvaluationException("the " + spec.name() + " weights at " + spec.uri() + " changed during the job"
                    + " (SHA-256 " + extractor.contentHash() + ", expected " + spec.sha256() + ")");
        }
        return extractor;
    }
}

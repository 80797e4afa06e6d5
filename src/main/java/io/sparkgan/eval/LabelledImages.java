package io.sparkgan.eval;

import io.sparkgan.data.DataException;
import io.sparkgan.data.DatasetInfo;
import io.sparkgan.data.Shards;
import io.sparkgan.io.Storage;
import io.sparkgan.model.KernelCase;
import io.sparkgan.runtime.NativeSelfCheck;
import io.sparkgan.runtime.Nd4jSetup;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A prepared dataset as labelled minibatches for the evaluator classifier, read from the shards on
 * the executors. Every tenth image (global index ≡ 0 mod 10) is held out as the evaluator's test set
 * and never trained on, so its reported accuracy is on unseen images for any labelled dataset.
 */
final class LabelledImages {
    static final int HOLDOUT_EVERY = 10;

    enum Split { TRAIN, TEST }

    private LabelledImages() {
    }

    /**
     * The split as minibatches of {@code batch}. {@code maxImages} caps the images used (0 = all),
     * taken evenly across the shards so every class keeps its share.
     */
    static JavaRDD<DataSet> minibatches(JavaSparkContext sc, Storage storage, String shardsLocation, DatasetInfo info,
                                        Split split, int batch, long maxImages, int threads) {
        return minibatches(sc, storage, shardsLocation, info, split, batch, maxImages, threads, -1);
    }

    /** As above, of one half of each pair ({@code half} 0: A, 1: B) of a dataset of pairs; −1 for whole records. */
    static JavaRDD<DataSet> minibatches(JavaSparkContext sc, Storage storage, String shardsLocation, DatasetInfo info,
                                        Split split, int batch, long maxImages, int threads, int half) {
        if (info.classes().size() < 2) {
            throw new DataException("the evaluator needs a labelled dataset with at least 2 classes; "
                    + shardsLocation + " has " + info.classes().size() + " (label image folders by subfolder or a"
                    + " CSV label column, or use fid.extractor = inception)");
        }
        String dir = Storage.qualify(shardsLocation).toString();
        Broadcast<Storage> sharedStorage = sc.broadcast(storage);
        Broadcast<DatasetInfo> sharedInfo = sc.broadcast(info);
        int shards = info.shards().size();
        // checked where the minibatches are made, so before DL4J trains on them on that executor
        List<KernelCase> kernels = EvalKernelCases.evaluator(info.size(), channels(info, half), batch,
                split == Split.TRAIN);
        return sc.parallelize(IntStream.range(0, shards).boxed().toList(), shards)
                .flatMap(s -> {
                    Nd4jSetup.threads(threads); // process-wide: DL4J's training tasks on this executor use it too
                    NativeSelfCheck.require(kernels);
                    return read(sharedStorage.value(), new Path(dir), sharedInfo.value(), s, split, batch, keepEvery(info,
                            maxImages), half).iterator();
                });
    }

    /** Keep every k-th image of the split so that about {@code maxImages} remain. */
    private static long keepEvery(DatasetInfo info, long maxImages) {
        return maxImages <= 0 ? 1 : Math.max(1, info.count() / maxImages);
    }

    /** An image's channels: a record's, or one half's of a pair. */
    static int channels(DatasetInfo info, int half) {
        return half < 0 ? info.channels() : info.channels() / 2;
    }

    private static List<DataSet> read(Storage storage, Path dir, DatasetInfo info, int shardIndex, Split split,
                                      int batch, long keepEvery, int half) {
        long first = 0;
        for (int s = 0; s < shardIndex; s++) {
            first += info.shards().get(s).count();
        }
        Shards.Content content;
        try {
            content = Shards.read(storage, dir, info.shards().get(shardIndex), info.channels(), info.size());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read shards under " + dir + ": " + e.getMessage(), e);
        }
        int stored = info.channels() * info.size() * info.size();
        int channels = channels(info, half);
        int pixels = channels * info.size() * info.size();
        int offset = half > 0 ? pixels : 0;
        int classes = info.classes().size();
        List<Integer> chosen = new ArrayList<>();
        for (int i = 0; i < content.count(); i++) {
            long index = first + i;
            boolean test = index % HOLDOUT_EVERY == 0;
            if (test == (split == Split.TEST) && (test || (index / HOLDOUT_EVERY) % keepEvery == 0)) {
                chosen.add(i);
            }
        }
        List<DataSet> batches = new ArrayList<>();
        for (int from = 0; from < chosen.size(); from += batch) {
            int n = Math.min(batch, chosen.size() - from);
            float[] x = new float[n * pixels];
            float[] y = new float[n * classes];
            for (int k = 0; k < n; k++) {
                int image = chosen.get(from + k);
                for (int p = 0; p < pixels; p++) {
                    x[k * pixels + p] = (content.images()[image * stored + offset + p] & 0xff) / 127.5f - 1f;
                }
                y[k * classes + content.labels()[image]] = 1f;
            }
            INDArray features = Nd4j.create(x, new long[] {n, channels, info.size(), info.size()}, 'c')
                    .castTo(DataType.FLOAT);
            batches.add(new DataSet(features, Nd4j.create(y, new long[] {n, classes}, 'c')));
        }
        return batches;
    }
}

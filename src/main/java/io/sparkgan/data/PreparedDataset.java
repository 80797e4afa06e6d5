package io.sparkgan.data;

import java.io.Serializable;
import org.apache.hadoop.fs.Path;

/**
 * One generation of a prepared dataset ({@link DatasetGenerations}): the data.shards folder it belongs
 * to, its number, the folder that holds its files, and its dataset.json. A job that reads a dataset
 * reads this generation from start to end, whatever replaces it meanwhile.
 *
 * @param root data.shards, qualified
 * @param generation 0 for a dataset prepared straight into data.shards, n for {@code generation-n/}
 * @param dir the folder of its shards, rejects.csv and dataset.json
 */
public record PreparedDataset(String root, long generation, String dir, DatasetInfo info) implements Serializable {
    /**
     * The folder inside a generation that holds a pair dataset's held-out split (test/ or val/ of the
     * source), a dataset of its own: shards, rejects.csv, dataset.json, written before the generation's.
     */
    public static final String HELD_OUT = "held-out";

    public Path rootPath() {
        return new Path(root);
    }

    public Path dirPath() {
        return new Path(dir);
    }

    /** For messages: "hdfs://nn/shards (generation 2)". */
    public String describe() {
        return root + " (generation " + generation + ")";
    }
}

package io.sparkgan.data;

import io.sparkgan.io.Npy;
import io.sparkgan.io.NpyArray;
import io.sparkgan.io.Storage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.Path;

/** Reading and writing shard files ({@code part-NNNNN.npz}: uint8 images and int32 labels). */
public final class Shards {
    private Shards() {
    }

    /** The images and labels of one shard, as stored. */
    public record Content(byte[] images, int[] labels, int count) {}

    static byte[] encode(byte[] images, int[] labels, int count, int channels, int size) {
        Map<String, NpyArray> arrays = new LinkedHashMap<>();
        arrays.put("images", NpyArray.ofBytes(images, count, channels, size, size));
        arrays.put("labels", NpyArray.ofInts(labels, count));
        return Npy.npzBytes(arrays);
    }

    /** Reads a shard and checks it against the SHA-256 that dataset.json recorded for it. */
    public static Content read(Storage storage, Path dir, DatasetInfo.Shard shard) throws IOException {
        Path path = new Path(dir, shard.file());
        byte[] bytes = storage.readBytes(path);
        String sha = HexFormat.of().formatHex(Hashes.sha256().digest(bytes));
        if (!sha.equals(shard.sha256())) {
            throw new DataException("shard " + path + " is damaged: its SHA-256 is " + sha + ", dataset.json recorded "
                    + shard.sha256() + "; run prepare again");
        }
        Map<String, NpyArray> arrays = Npy.readNpz(new ByteArrayInputStream(bytes));
        NpyArray images = arrays.get("images");
        NpyArray labels = arrays.get("labels");
        return new Content(images.asBytes(), labels.asInts(), (int) labels.size());
    }
}

package io.sparkgan.io;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * NumPy's {@code .npy} (format 1.0) and {@code .npz} (a zip of {@code .npy} members) as documented in
 * numpy's {@code numpy/lib/format.py}. {@code np.savez(f, mu=..., sigma=...)} (pytorch-fid's
 * statistics) and {@code np.load} both work with what this writes and reads.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR_KEY = Pattern.compile("'descr'\\s*:\\s*");
    private static final Pattern ORDER = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    public static byte[] toBytes(NpyArray array) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(array.data().length + 128);
        try {
            write(array, out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    public static void write(NpyArray array, OutputStream out) throws IOException {
        out.write(header("'" + array.dtype().descr + "'", array.shape()));
        out.write(array.data());
    }

    /**
     * A format 1.0 header for an array of {@code shape} whose dtype is {@code descr}, written as a Python
     * literal: {@code '<f4'}, or a structured dtype's list, e.g. {@code [('label', '<i4'), ('image',
     * '|u1', (3, 64, 64))]}. Padded so that the data start at a multiple of 64 bytes, as numpy does.
     */
    public static byte[] header(String descr, long... shape) {
        StringBuilder tuple = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            tuple.append(shape[i]).append(shape.length == 1 ? "," : i + 1 < shape.length ? ", " : "");
        }
        tuple.append(")");
        String dict = "{'descr': " + descr + ", 'fortran_order': False, 'shape': " + tuple + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        String text = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream(unpadded + 64);
        out.writeBytes(MAGIC);
        out.write(1);
        out.write(0);
        out.write(text.length() & 0xff);
        out.write((text.length() >> 8) & 0xff);
        out.writeBytes(text.getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /**
     * A .npy header as read.
     *
     * @param descr the dtype as its Python literal, quotes included ({@code '<f4'}, or a list)
     * @param dataOffset where the array's data begin in the file
     */
    public record Header(String descr, long[] shape, int dataOffset) {}

    /** Reads a .npy header (format 1.0, 2.0 or 3.0) and leaves {@code input} at the start of the data. */
    public static Header readHeader(InputStream input) throws IOException {
        DataInputStream in = new DataInputStream(input);
        byte[] magic = new byte[6];
        in.readFully(magic);
        for (int i = 0; i < MAGIC.length; i++) {
            if (magic[i] != MAGIC[i]) {
                throw new IOException("not a .npy file (bad magic bytes)");
            }
        }
        int major = in.readUnsignedByte();
        in.readUnsignedByte();
        int headerLength;
        int prefix;
        if (major == 1) {
            headerLength = in.readUnsignedByte() | (in.readUnsignedByte() << 8);
            prefix = 10;
        } else if (major == 2 || major == 3) {
            headerLength = in.readUnsignedByte() | (in.readUnsignedByte() << 8)
                    | (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 24);
            prefix = 12;
        } else {
            throw new IOException("unsupported .npy format version " + major);
        }
        byte[] headerBytes = new byte[headerLength];
        in.readFully(headerBytes);
        String header = new String(headerBytes, StandardCharsets.ISO_8859_1);
        Matcher order = ORDER.matcher(header);
        Matcher shapeMatch = SHAPE.matcher(header);
        String descr = descr(header);
        if (descr == null || !order.find() || !shapeMatch.find()) {
            throw new IOException("malformed .npy header: " + header.trim());
        }
        if (order.group(1).equals("True")) {
            throw new IOException(".npy array is in Fortran order; save it with C order (np.ascontiguousarray)");
        }
        List<Long> dims = new ArrayList<>();
        for (String part : shapeMatch.group(1).split(",")) {
            if (!part.isBlank()) {
                dims.add(Long.parseLong(part.trim().replace("L", "")));
            }
        }
        return new Header(descr, dims.stream().mapToLong(Long::longValue).toArray(), prefix + headerLength);
    }

    /** The value of the header's 'descr' key: a quoted string, or a bracketed list; null if none. */
    private static String descr(String header) {
        Matcher key = DESCR_KEY.matcher(header);
        if (!key.find()) {
            return null;
        }
        int start = key.end();
        if (header.charAt(start) == '\'') {
            int end = header.indexOf('\'', start + 1);
            return end < 0 ? null : header.substring(start, end + 1);
        }
        int depth = 0;
        for (int i = start; i < header.length(); i++) {
            char c = header.charAt(i);
            depth += c == '[' || c == '(' ? 1 : c == ']' || c == ')' ? -1 : 0;
            if (depth == 0) {
                return header.substring(start, i + 1);
            }
        }
        return null;
    }

    public static NpyArray read(InputStream input) throws IOException {
        Header header = readHeader(input);
        if (!header.descr().startsWith("'")) {
            throw new IOException("unsupported .npy dtype " + header.descr() + " (a structured dtype)");
        }
        NpyArray.Dtype dtype = NpyArray.Dtype.fromDescr(header.descr().substring(1, header.descr().length() - 1));
        long bytes = NpyArray.count(header.shape()) * dtype.size;
        if (bytes > Integer.MAX_VALUE - 16) {
            throw new IOException(".npy array too large to load (" + bytes + " bytes)");
        }
        byte[] data = new byte[(int) bytes];
        try {
            new DataInputStream(input).readFully(data);
        } catch (EOFException e) {
            throw new IOException(".npy file is truncated: expected " + bytes + " bytes of data");
        }
        return new NpyArray(dtype, header.shape(), data);
    }

    private static final LocalDateTime FIXED_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

    /** Writes an uncompressed .npz, members named {@code <key>.npy} as np.savez names them. */
    public static void writeNpz(Map<String, NpyArray> arrays, OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        for (Map.Entry<String, NpyArray> e : arrays.entrySet()) {
            byte[] member = toBytes(e.getValue());
            ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
            entry.setMethod(ZipEntry.STORED);
            // A fixed time, not "now": the same arrays give the same bytes, so shard hashes (and the
            // dataset's content hash that FID caches are keyed by) do not change when data is re-prepared.
            entry.setTimeLocal(FIXED_TIME);
            entry.setSize(member.length);
            entry.setCompressedSize(member.length);
            CRC32 crc = new CRC32();
            crc.update(member);
            entry.setCrc(crc.getValue());
            zip.putNextEntry(entry);
            zip.write(member);
            zip.closeEntry();
        }
        zip.finish();
    }

    public static byte[] npzBytes(Map<String, NpyArray> arrays) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            writeNpz(arrays, out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    /** Reads every member of an .npz (stored or deflated), keyed without the {@code .npy} suffix. */
    public static Map<String, NpyArray> readNpz(InputStream in) throws IOException {
        Map<String, NpyArray> arrays = new LinkedHashMap<>();
        ZipInputStream zip = new ZipInputStream(in);
        ZipEntry entry;
        while ((entry = zip.getNextEntry()) != null) {
            String name = entry.getName();
            if (name.endsWith(".npy")) {
                arrays.put(name.substring(0, name.length() - 4), read(zip));
            }
        }
        if (arrays.isEmpty()) {
            throw new IOException("not an .npz file, or one with no arrays in it");
        }
        return arrays;
    }
}

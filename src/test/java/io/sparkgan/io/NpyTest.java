package io.sparkgan.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NpyTest {
    @Test
    void npzRoundTripKeepsTypesShapesAndValues() throws IOException {
        Map<String, NpyArray> arrays = new LinkedHashMap<>();
        arrays.put("mu", NpyArray.ofDoubles(new double[] {1.5, -2.25, Math.PI}));
        arrays.put("sigma", NpyArray.ofDoubles(new double[] {1, 0, 0, 1}, 2, 2));
        arrays.put("images", NpyArray.ofBytes(new byte[] {0, (byte) 255, 7, 8, 9, 10}, 1, 2, 3));
        arrays.put("labels", NpyArray.ofInts(new int[] {3, -1}));
        arrays.put("w", NpyArray.ofFloats(new float[] {0.5f, Float.MIN_VALUE}));
        Map<String, NpyArray> back = Npy.readNpz(new ByteArrayInputStream(Npy.npzBytes(arrays)));
        assertEquals(arrays.keySet(), back.keySet());
        assertArrayEquals(new double[] {1.5, -2.25, Math.PI}, back.get("mu").asDoubles());
        assertArrayEquals(new long[] {2, 2}, back.get("sigma").shape());
        assertArrayEquals(new long[] {1, 2, 3}, back.get("images").shape());
        assertEquals(255, back.get("images").asBytes()[1] & 0xff);
        assertArrayEquals(new int[] {3, -1}, back.get("labels").asInts());
        assertArrayEquals(new float[] {0.5f, Float.MIN_VALUE}, back.get("w").asFloats());
    }

    @Test
    void headerIsWhatNumpyWrites() {
        byte[] bytes = Npy.toBytes(NpyArray.ofDoubles(new double[] {1, 2, 3}));
        String header = new String(bytes, 10, bytes.length - 10 - 24, StandardCharsets.ISO_8859_1);
        assertEquals("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", header.trim());
        assertEquals(0, (10 + (bytes[8] & 0xff)) % 64, "data starts 64-byte aligned as numpy >= 1.x writes it");
        assertEquals('\n', header.charAt(header.length() - 1));
    }

    /** The bytes np.save writes for np.array([[1., 2.], [3., 4.]], dtype='<f4'), numpy 1.24 (format 1.0). */
    @Test
    void readsAFileLaidOutByNumpy() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 118, 0});
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
        out.write((dict + " ".repeat(118 - dict.length() - 1) + "\n").getBytes(StandardCharsets.US_ASCII));
        for (float f : new float[] {1, 2, 3, 4}) {
            int bits = Float.floatToIntBits(f);
            out.write(new byte[] {(byte) bits, (byte) (bits >> 8), (byte) (bits >> 16), (byte) (bits >> 24)});
        }
        NpyArray a = Npy.read(new ByteArrayInputStream(out.toByteArray()));
        assertArrayEquals(new long[] {2, 2}, a.shape());
        assertArrayEquals(new float[] {1, 2, 3, 4}, a.asFloats());
    }

    @Test
    void fortranOrderAndTruncationAreRejected() {
        byte[] good = Npy.toBytes(NpyArray.ofFloats(new float[] {1, 2, 3, 4}, 2, 2));
        byte[] fortran = new String(good, StandardCharsets.ISO_8859_1).replace("False", "True ")
                .getBytes(StandardCharsets.ISO_8859_1);
        IOException e = assertThrows(IOException.class, () -> Npy.read(new ByteArrayInputStream(fortran)));
        assertTrue(e.getMessage().contains("Fortran order"), e.getMessage());
        byte[] truncated = Arrays.copyOf(good, good.length - 3);
        assertTrue(assertThrows(IOException.class, () -> Npy.read(new ByteArrayInputStream(truncated)))
                .getMessage().contains("truncated"));
    }
}

package io.sparkgan.data;

import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Image files built byte by byte for {@link MalformedInputTest}: PNGs written chunk by chunk (with
 * correct CRCs, so only what a test means to break is broken), JPEGs from ImageIO's writer, patched
 * where ImageIO cannot write what we need (huge SOF dimensions, CMYK with Adobe's APP14 marker).
 */
final class MalformedImages {
    static final int GREY = 0;
    static final int RGB = 2;
    static final int PALETTE = 3;
    static final int GREY_ALPHA = 4;
    static final int RGBA = 6;

    private MalformedImages() {
    }

    /** Samples per pixel of a PNG colour type (PNG spec, table 11.1). */
    static int samplesPerPixel(int colourType) {
        return switch (colourType) {
            case GREY, PALETTE -> 1;
            case GREY_ALPHA -> 2;
            case RGB -> 3;
            case RGBA -> 4;
            default -> throw new IllegalArgumentException("colour type " + colourType);
        };
    }

    /**
     * A PNG whose pixel {@code (x, y)} has the samples {@code sample.at(x, y, s)} (palette indices for
     * colour type 3), packed at {@code bitDepth} bits, every row with filter type 0 (none).
     */
    static byte[] png(int width, int height, int bitDepth, int colourType, Samples sample, byte[] palette, byte[] trns) {
        int perPixel = samplesPerPixel(colourType);
        int rowBytes = (width * perPixel * bitDepth + 7) / 8;
        byte[] raw = new byte[height * (rowBytes + 1)];
        for (int y = 0; y < height; y++) {
            int rowStart = y * (rowBytes + 1) + 1; // the byte before is the filter type, 0
            long bit = 0;
            for (int x = 0; x < width; x++) {
                for (int s = 0; s < perPixel; s++, bit += bitDepth) {
                    int v = sample.at(x, y, s);
                    if (bitDepth == 16) {
                        raw[rowStart + (int) (bit / 8)] = (byte) (v >> 8);
                        raw[rowStart + (int) (bit / 8) + 1] = (byte) v;
                    } else {
                        int shift = 8 - bitDepth - (int) (bit % 8);
                        raw[rowStart + (int) (bit / 8)] |= (byte) (v << shift);
                    }
                }
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(signature());
        out.writeBytes(chunk("IHDR", ihdr(width, height, bitDepth, colourType)));
        if (palette != null) {
            out.writeBytes(chunk("PLTE", palette));
        }
        if (trns != null) {
            out.writeBytes(chunk("tRNS", trns));
        }
        out.writeBytes(chunk("IDAT", deflate(raw)));
        out.writeBytes(chunk("IEND", new byte[0]));
        return out.toByteArray();
    }

    /** How {@link #png} asks for the sample values of a pixel. */
    @FunctionalInterface
    interface Samples {
        int at(int x, int y, int sample);
    }

    /**
     * A valid PNG header declaring {@code width}×{@code height} pixels, followed by an IDAT of a few
     * bytes and IEND: a decompression bomb's shape, whatever the decoder would make of the data.
     */
    static byte[] pngHeader(int width, int height, int bitDepth, int colourType) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(signature());
        out.writeBytes(chunk("IHDR", ihdr(width, height, bitDepth, colourType)));
        out.writeBytes(chunk("IDAT", deflate(new byte[64])));
        out.writeBytes(chunk("IEND", new byte[0]));
        return out.toByteArray();
    }

    static byte[] signature() {
        return new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    }

    static byte[] ihdr(int width, int height, int bitDepth, int colourType) {
        return ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) bitDepth).put((byte) colourType)
                .put((byte) 0).put((byte) 0).put((byte) 0).array();
    }

    /** One PNG chunk: length, type, data, CRC-32 of type and data. */
    static byte[] chunk(String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        return ByteBuffer.allocate(12 + data.length).putInt(data.length).put(typeBytes).put(data)
                .putInt((int) crc.getValue()).array();
    }

    static byte[] deflate(byte[] raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(out, new Deflater(9))) {
            z.write(raw);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    /**
     * A baseline JPEG of {@code bands} components written by ImageIO from a raster with the given
     * sample values; with 4 bands and {@code adobeTransform} ≥ 0, an Adobe APP14 marker (transform 0:
     * CMYK, 2: YCCK) goes right after SOI, as Photoshop writes its CMYK JPEGs.
     */
    static byte[] jpegOfRaster(int width, int height, int bands, Samples sample, int adobeTransform) throws IOException {
        WritableRaster raster = Raster.createBandedRaster(DataBuffer.TYPE_BYTE, width, height, bands, null);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                for (int b = 0; b < bands; b++) {
                    raster.setSample(x, y, b, sample.at(x, y, b));
                }
            }
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(raster, null, null), null);
        } finally {
            writer.dispose();
        }
        byte[] jpeg = bytes.toByteArray();
        if (adobeTransform < 0) {
            return jpeg;
        }
        byte[] app14 = {(byte) 0xff, (byte) 0xee, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) adobeTransform};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2); // SOI
        out.writeBytes(app14);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    /** The JPEG with its frame header (SOF0) changed to declare {@code width}×{@code height} pixels. */
    static byte[] withSofSize(byte[] jpeg, int width, int height) {
        byte[] patched = jpeg.clone();
        int at = 2;
        while (at + 4 < patched.length) {
            if ((patched[at] & 0xff) != 0xff) {
                throw new IllegalArgumentException("not at a JPEG marker at byte " + at);
            }
            int marker = patched[at + 1] & 0xff;
            int length = ((patched[at + 2] & 0xff) << 8) | (patched[at + 3] & 0xff);
            if (marker == 0xc0) {
                // SOF0: length(2) precision(1) height(2) width(2) components(1)
                patched[at + 5] = (byte) (height >> 8);
                patched[at + 6] = (byte) height;
                patched[at + 7] = (byte) (width >> 8);
                patched[at + 8] = (byte) width;
                return patched;
            }
            at += 2 + length;
        }
        throw new IllegalArgumentException("no SOF0 marker");
    }

    static byte[] truncated(byte[] bytes, int keep) {
        return Arrays.copyOf(bytes, keep);
    }

    static byte[] randomBytes(int length, long seed) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    /** The offset of the first byte of a PNG chunk's data, or -1. */
    static int chunkData(byte[] png, String type) {
        int at = 8;
        while (at + 8 <= png.length) {
            int length = ByteBuffer.wrap(png, at, 4).getInt();
            String name = new String(png, at + 4, 4, StandardCharsets.US_ASCII);
            if (name.equals(type)) {
                return at + 8;
            }
            at += 12 + length;
        }
        return -1;
    }
}

package io.sparkgan.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes PNG and JPEG bytes into the prepared form (uint8, CHW, square, {@code size} pixels a side),
 * or explains why it cannot. The image header is read and its dimensions checked before any pixel is
 * decoded, so a file that declares 100000×100000 pixels costs nothing (a decompression bomb); a JPEG's
 * frame header is read here directly, so its size and colour components are checked before the
 * decoder sees it. A decoder warning about the image data (libjpeg's "Corrupt JPEG data: premature end
 * of data segment", for one) rejects the image: the decoder would otherwise fill the missing part with
 * grey and return it as if whole. A JPEG that lacks only its final end-of-image marker is accepted.
 *
 * <p>Conversions: greys (8 or 16 bits, with or without alpha, and palettes whose colours are all grey)
 * count as 1 channel, everything else as 3; 16-bit samples become round(v · 255 / 65535); palettes are
 * expanded; grey → RGB replicates the grey, RGB → grey is ITU-R BT.601 luma; alpha is dropped (the
 * colour under it is kept). Channel changes and dropping transparency need
 * {@code data.convert-channels=true}. CMYK/YCCK JPEGs are rejected.
 *
 * <p>With {@code paired} (data.layout = aligned) a file is a pair, A left and B right: its width must
 * be twice its height, and each half is resized on its own ({@link Resizer#halvesResized}).
 */
public final class ImageDecoder implements java.io.Serializable {
    /** The JDK's JPEG reader's warning for a file that ends without its end-of-image marker. */
    private static final String JPEG_NO_EOI = "Truncated File - Missing EOI marker";

    private final int size;
    private final int channels;
    private final long maxPixels;
    private final boolean convertChannels;
    private final boolean paired;

    public ImageDecoder(int size, int channels, long maxPixels, boolean convertChannels) {
        this(size, channels, maxPixels, convertChannels, false);
    }

    public ImageDecoder(int size, int channels, long maxPixels, boolean convertChannels, boolean paired) {
        this.size = size;
        this.channels = channels;
        this.maxPixels = maxPixels;
        this.convertChannels = convertChannels;
        this.paired = paired;
    }

    /** The prepared image (uint8 CHW, {@code size}² pixels per channel) or a {@link Reject}. */
    public Prepared decode(String path, byte[] bytes, int label) {
        if (bytes.length == 0) {
            return new Reject(path, "empty file (0 bytes)");
        }
        BufferedImage image;
        List<String> warnings = new ArrayList<>();
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return new Reject(path, "not an image: no PNG or JPEG signature found");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                reader.addIIOReadWarningListener((source, warning) -> {
                    if (!warnings.contains(warning)) {
                        warnings.add(warning);
                    }
                });
                String format = reader.getFormatName().toUpperCase(Locale.ROOT);
                if (!format.equals("PNG") && !format.equals("JPEG")) {
                    return new Reject(path, "unsupported image format " + format + " (expected PNG or JPEG)");
                }
                JpegFrame frame = format.equals("JPEG") ? JpegFrame.find(bytes) : null;
                long width = frame != null ? frame.width() : reader.getWidth(0);
                long height = frame != null ? frame.height() : reader.getHeight(0);
                if (width < 1 || height < 1) {
                    return new Reject(path, "image declares no pixels (" + width + "×" + height + ")");
                }
                if (width * height > maxPixels) {
                    return new Reject(path, "image declares " + width + "×" + height + " pixels, more than data.max-pixels="
                            + maxPixels + " (not decoded)");
                }
                if (paired && width != 2 * height) {
                    return new Reject(path, "is " + width + "×" + height + ", not an aligned pair: A and B side by side"
                            + " make a file twice as wide as it is high (expected " + 2 * height + "×" + height + ")");
                }
                if (Math.min(width, height) < Math.min(8, size)) {
                    return new Reject(path, "image is " + width + "×" + height + ", too small to resize to " + size + "×" + size);
                }
                if (frame != null && frame.components() != 1 && frame.components() != 3) {
                    return new Reject(path, frame.unsupported());
                }
                image = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return new Reject(path, endsEarly(e, warnings)
                    ? "truncated: the file ends before its image data does (" + messages(e, warnings) + ")"
                    : "corrupt or unreadable image: " + messages(e, warnings));
        }
        if (image == null) {
            return new Reject(path, "corrupt or unreadable image: decoder returned nothing");
        }
        // Only the end-of-image marker missing, after every scan was read: the pixels are all there.
        if (!warnings.isEmpty() && !warnings.equals(List.of(JPEG_NO_EOI))) {
            return new Reject(path, endsEarly(null, warnings)
                    ? "truncated: the file ends before its image data does (" + String.join("; ", warnings) + ")"
                    : "corrupt image data (" + String.join("; ", warnings) + "); the decoder had to guess pixels");
        }
        return toChannels(path, image, label);
    }

    /** Whether the decoder ran out of bytes: an EOF among the causes, or libjpeg's warning that it did. */
    private static boolean endsEarly(Throwable e, List<String> warnings) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof EOFException) {
                return true;
            }
        }
        return warnings.stream().anyMatch(w -> w.contains("Premature end of JPEG file") || w.equals(JPEG_NO_EOI));
    }

    /** The messages of an exception and its causes, then the decoder's warnings. */
    private static String messages(Throwable e, List<String> warnings) {
        List<String> parts = new ArrayList<>();
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = t.getMessage();
            if (message != null && !message.isBlank() && !parts.contains(message)) {
                parts.add(message);
            }
        }
        if (parts.isEmpty()) {
            parts.add(e.getClass().getSimpleName());
        }
        String text = String.join(": ", parts);
        return warnings.isEmpty() ? text : text + "; " + String.join("; ", warnings);
    }

    /**
     * A JPEG's frame header (the first SOFn marker segment: size and number of colour components) and
     * the colour transform of an Adobe APP14 marker before it, read from the bytes without decoding
     * (ITU-T T.81 B.2, Adobe Technical Note 5116). Null when the bytes do not reach a frame header the
     * plain way; the decoder then reads the header itself and explains what is wrong.
     */
    private record JpegFrame(int width, int height, int components, int adobeTransform) {
        static JpegFrame find(byte[] b) {
            int adobeTransform = -1;
            int at = 2; // after SOI
            while (at + 4 <= b.length && (b[at] & 0xff) == 0xff) {
                int marker = b[at + 1] & 0xff;
                if (marker == 0xff) {
                    at++; // fill byte
                    continue;
                }
                if (marker == 0xd9 || marker == 0xda || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
                    return null; // end of image, start of scan or a marker without length before any frame header
                }
                int length = ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
                boolean frameHeader = marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
                if (frameHeader) {
                    if (at + 10 > b.length) {
                        return null;
                    }
                    int height = ((b[at + 5] & 0xff) << 8) | (b[at + 6] & 0xff);
                    int width = ((b[at + 7] & 0xff) << 8) | (b[at + 8] & 0xff);
                    return new JpegFrame(width, height, b[at + 9] & 0xff, adobeTransform);
                }
                if (marker == 0xee && length >= 14 && at + 16 <= b.length
                        && new String(b, at + 4, 5, StandardCharsets.US_ASCII).equals("Adobe")) {
                    adobeTransform = b[at + 15] & 0xff;
                }
                at += 2 + length;
            }
            return null;
        }

        String unsupported() {
            if (components == 4) {
                String kind = adobeTransform == 2 ? "YCCK" : "CMYK";
                return kind + " JPEG (4 colour components" + (adobeTransform >= 0 ? ", Adobe transform " + adobeTransform : "")
                        + ") is not supported: convert it to RGB (expected 1 component, grey, or 3, YCbCr/RGB)";
            }
            return "JPEG with " + components + " colour components is not supported (expected 1, grey, or 3, YCbCr/RGB)";
        }
    }

    private Prepared toChannels(String path, BufferedImage image, int label) {
        ColorModel model = image.getColorModel();
        boolean grey = model.getColorSpace().getType() == ColorSpace.TYPE_GRAY && model.getNumColorComponents() == 1;
        int found = grey || greyPalette(model) ? 1 : 3;
        if (found != channels && !convertChannels) {
            return new Reject(path, "has " + describe(found) + ", expected " + describe(channels)
                    + " (set data.convert-channels=true to convert)");
        }
        int width = image.getWidth();
        int height = image.getHeight();
        byte[] chw = new byte[channels * width * height];
        int plane = width * height;
        Raster raster = image.getRaster();
        boolean transparent = false;
        if (grey) {
            // Samples straight from the raster: Java takes a grey colour space as linear, and getRGB would
            // brighten it into sRGB (100 becomes 168), which a PNG's or JPEG's grey never meant.
            int bits = model.getComponentSize(0);
            double scale = 255.0 / ((1L << bits) - 1);
            int opaque = model.hasAlpha() ? (1 << model.getComponentSize(1)) - 1 : -1;
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    transparent |= opaque >= 0 && raster.getSample(x, y, 1) != opaque;
                    int v = (int) Math.round(raster.getSample(x, y, 0) * scale);
                    for (int c = 0; c < channels; c++) {
                        chw[c * plane + y * width + x] = (byte) v;
                    }
                }
            }
        } else {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int argb = image.getRGB(x, y);
                    transparent |= (argb >>> 24) != 0xff;
                    int r = (argb >> 16) & 0xff;
                    int g = (argb >> 8) & 0xff;
                    int b = argb & 0xff;
                    int i = y * width + x;
                    if (channels == 1) {
                        chw[i] = (byte) Math.round(0.299 * r + 0.587 * g + 0.114 * b); // ITU-R BT.601 luma
                    } else {
                        chw[i] = (byte) r;
                        chw[plane + i] = (byte) g;
                        chw[2 * plane + i] = (byte) b;
                    }
                }
            }
        }
        if (transparent && !convertChannels) {
            return new Reject(path, "has transparent pixels (an alpha channel); expected opaque "
                    + describe(channels) + " (set data.convert-channels=true to drop alpha)");
        }
        return new ImageRecord(path, paired ? Resizer.halvesResized(chw, channels, width, height, size)
                : Resizer.centreCropAndResize(chw, channels, width, height, size), label);
    }

    /** A palette of greys only, as ImageIO gives 1-, 2- and 4-bit grey PNGs and grey palette images. */
    private static boolean greyPalette(ColorModel model) {
        if (!(model instanceof IndexColorModel palette)) {
            return false;
        }
        for (int i = 0; i < palette.getMapSize(); i++) {
            if (palette.getRed(i) != palette.getGreen(i) || palette.getGreen(i) != palette.getBlue(i)) {
                return false;
            }
        }
        return true;
    }

    private static String describe(int channels) {
        return channels == 1 ? "1 channel (grey)" : channels + " channels (RGB)";
    }
}

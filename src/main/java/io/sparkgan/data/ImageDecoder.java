package io.sparkgan.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes PNG and JPEG bytes into the prepared form (uint8, CHW, square, {@code size} pixels a side),
 * or explains why it cannot. The image header is read and its dimensions checked before any pixel is
 * decoded, so a file that declares 100000×100000 pixels costs nothing (a decompression bomb).
 */
public final class ImageDecoder {
    private final int size;
    private final int channels;
    private final long maxPixels;
    private final boolean convertChannels;

    public ImageDecoder(int size, int channels, long maxPixels, boolean convertChannels) {
        this.size = size;
        this.channels = channels;
        this.maxPixels = maxPixels;
        this.convertChannels = convertChannels;
    }

    /** The prepared image (uint8 CHW, {@code size}² pixels per channel) or a {@link Reject}. */
    public Prepared decode(String path, byte[] bytes, int label) {
        if (bytes.length == 0) {
            return new Reject(path, "empty file (0 bytes)");
        }
        BufferedImage image;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                return new Reject(path, "not an image: no PNG or JPEG signature found");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                String format = reader.getFormatName().toUpperCase(java.util.Locale.ROOT);
                if (!format.equals("PNG") && !format.equals("JPEG")) {
                    return new Reject(path, "unsupported image format " + format + " (expected PNG or JPEG)");
                }
                long width = reader.getWidth(0);
                long height = reader.getHeight(0);
                if (width < 1 || height < 1) {
                    return new Reject(path, "image declares no pixels (" + width + "×" + height + ")");
                }
                if (width * height > maxPixels) {
                    return new Reject(path, "image declares " + width + "×" + height + " pixels, more than data.max-pixels="
                            + maxPixels + " (not decoded)");
                }
                if (Math.min(width, height) < Math.min(8, size)) {
                    return new Reject(path, "image is " + width + "×" + height + ", too small to resize to " + size + "×" + size);
                }
                image = reader.read(0);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return new Reject(path, "corrupt or unreadable image: " + message);
        }
        if (image == null) {
            return new Reject(path, "corrupt or unreadable image: decoder returned nothing");
        }
        return toChannels(path, image, label);
    }

    private Prepared toChannels(String path, BufferedImage image, int label) {
        ColorModel model = image.getColorModel();
        boolean grey = model.getColorSpace().getType() == ColorSpace.TYPE_GRAY && model.getNumColorComponents() == 1;
        int found = grey ? 1 : 3;
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
        if (grey && !model.hasAlpha()) {
            int bits = model.getComponentSize(0);
            double scale = 255.0 / ((1L << bits) - 1);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
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
        return new ImageRecord(path, Resizer.centreCropAndResize(chw, channels, width, height, size), label);
    }

    private static String describe(int channels) {
        return channels == 1 ? "1 channel (grey)" : channels + " channels (RGB)";
    }
}

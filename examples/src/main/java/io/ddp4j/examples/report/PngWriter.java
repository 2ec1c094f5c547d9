package io.ddp4j.examples.report;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A minimal PNG encoder for 8-bit RGB images (colour type 2), so reports need no java.desktop:
 * signature, IHDR, one IDAT of zlib-compressed scanlines (filter "none"), IEND.
 */
public final class PngWriter {

    static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private PngWriter() {}

    /** Writes {@code pixels} (0xRRGGBB, row by row from the top) to a PNG file. */
    public static void write(Path file, int width, int height, int[] pixels) {
        try {
            Files.write(file, encode(width, height, pixels));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write PNG " + file + ": " + e.getMessage(), e);
        }
    }

    /** The PNG file bytes for {@code pixels} (0xRRGGBB, row by row from the top). */
    public static byte[] encode(int width, int height, int[] pixels) {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image size " + width + "x" + height + " must be positive");
        if ((long) width * height != pixels.length) {
            throw new IllegalArgumentException(width + "x" + height + " image needs " + (long) width * height
                    + " pixels, got " + pixels.length);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SIGNATURE);
        chunk(out, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8)   // bits per channel
                .put((byte) 2)   // colour type: RGB
                .put((byte) 0)   // compression: deflate
                .put((byte) 0)   // filter method: adaptive (each row says which filter; ours use none)
                .put((byte) 0)   // no interlace
                .array());
        chunk(out, "IDAT", deflate(scanlines(width, height, pixels)));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static byte[] scanlines(int width, int height, int[] pixels) {
        int stride = 1 + 3 * width;
        byte[] raw = new byte[Math.multiplyExact(height, stride)];
        for (int y = 0; y < height; y++) {
            int at = y * stride; // raw[at] = 0: filter type none
            for (int x = 0; x < width; x++) {
                int p = pixels[y * width + x];
                raw[at + 1 + 3 * x] = (byte) (p >> 16);
                raw[at + 2 + 3 * x] = (byte) (p >> 8);
                raw[at + 3 + 3 * x] = (byte) p;
            }
        }
        return raw;
    }

    private static byte[] deflate(byte[] raw) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        try {
            deflater.setInput(raw);
            deflater.finish();
            ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length / 8 + 64);
            byte[] buf = new byte[1 << 16];
            while (!deflater.finished()) out.write(buf, 0, deflater.deflate(buf));
            return out.toByteArray();
        } finally {
            deflater.end();
        }
    }

    /** Length, type, data, and the CRC-32 of type and data. */
    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}

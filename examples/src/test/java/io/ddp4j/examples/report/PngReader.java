package io.ddp4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/** An independent check of PngWriter's output: parses the chunks, verifies every CRC, and decodes the pixels. */
record PngReader(int width, int height, List<String> chunkTypes, byte[] inflated, int[] pixels) {

    static PngReader parse(byte[] png) throws DataFormatException {
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}, Arrays.copyOf(png, 8), "PNG signature");
        ByteBuffer b = ByteBuffer.wrap(png, 8, png.length - 8);
        List<String> types = new ArrayList<>();
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        int width = -1, height = -1;
        while (b.hasRemaining()) {
            int length = b.getInt();
            byte[] typeBytes = new byte[4];
            b.get(typeBytes);
            byte[] data = new byte[length];
            b.get(data);
            int storedCrc = b.getInt();
            CRC32 crc = new CRC32();
            crc.update(typeBytes);
            crc.update(data);
            String type = new String(typeBytes, StandardCharsets.US_ASCII);
            assertEquals((int) crc.getValue(), storedCrc, "CRC of chunk " + type);
            types.add(type);
            switch (type) {
                case "IHDR" -> {
                    ByteBuffer h = ByteBuffer.wrap(data);
                    width = h.getInt();
                    height = h.getInt();
                    assertEquals(8, h.get(), "bit depth");
                    assertEquals(2, h.get(), "colour type RGB");
                    assertEquals(0, h.get(), "compression");
                    assertEquals(0, h.get(), "filter method");
                    assertEquals(0, h.get(), "interlace");
                }
                case "IDAT" -> idat.writeBytes(data);
                default -> { }
            }
        }
        Inflater inflater = new Inflater();
        inflater.setInput(idat.toByteArray());
        byte[] raw = new byte[height * (1 + 3 * width) + 1]; // one spare byte would reveal excess data
        int n = inflater.inflate(raw);
        assertEquals(true, inflater.finished(), "zlib stream complete");
        inflater.end();
        raw = Arrays.copyOf(raw, n);
        int[] pixels = new int[width * height];
        int stride = 1 + 3 * width;
        if (raw.length == height * stride) {
            for (int y = 0; y < height; y++) {
                assertEquals(0, raw[y * stride], "filter type of row " + y);
                for (int x = 0; x < width; x++) {
                    int at = y * stride + 1 + 3 * x;
                    pixels[y * width + x] = (raw[at] & 0xFF) << 16 | (raw[at + 1] & 0xFF) << 8 | (raw[at + 2] & 0xFF);
                }
            }
        }
        return new PngReader(width, height, types, raw, pixels);
    }
}

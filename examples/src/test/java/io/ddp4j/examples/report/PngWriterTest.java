package io.ddp4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PngWriterTest {

    @Test
    void encodesAValidRgbPngWhosePixelsDecodeBackExactly() throws Exception {
        int w = 7, h = 3;
        int[] pixels = new int[w * h];
        for (int i = 0; i < pixels.length; i++) pixels[i] = i * 0x0A0B0C & 0xFFFFFF;
        PngReader png = PngReader.parse(PngWriter.encode(w, h, pixels));
        assertEquals(List.of("IHDR", "IDAT", "IEND"), png.chunkTypes());
        assertEquals(w, png.width());
        assertEquals(h, png.height());
        assertEquals(h * (1 + 3 * w), png.inflated().length);
        assertArrayEquals(pixels, png.pixels());
    }

    @Test
    void writesTheFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("dot.png");
        PngWriter.write(f, 1, 1, new int[] {0xFF0000});
        assertArrayEquals(new int[] {0xFF0000}, PngReader.parse(Files.readAllBytes(f)).pixels());
    }

    @Test
    void refusesPixelCountsThatDoNotMatchTheSize() {
        var e = assertThrows(IllegalArgumentException.class, () -> PngWriter.encode(4, 4, new int[15]));
        assertEquals("4x4 image needs 16 pixels, got 15", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PngWriter.encode(0, 4, new int[0]));
    }
}

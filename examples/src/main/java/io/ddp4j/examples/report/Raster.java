package io.ddp4j.examples.report;

import java.util.Arrays;

/** An RGB pixel array (0xRRGGBB, row-major from the top-left) with the few drawing operations charts need. */
final class Raster {

    final int width;
    final int height;
    final int[] pixels;

    Raster(int width, int height, int background) {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("raster size " + width + "x" + height);
        this.width = width;
        this.height = height;
        this.pixels = new int[width * height];
        Arrays.fill(pixels, background);
    }

    int get(int x, int y) {
        return pixels[y * width + x];
    }

    /** Sets one pixel; points outside the raster are clipped silently. */
    void set(int x, int y, int rgb) {
        if (x >= 0 && y >= 0 && x < width && y < height) pixels[y * width + x] = rgb;
    }

    void fillRect(int x, int y, int w, int h, int rgb) {
        for (int j = y; j < y + h; j++) for (int i = x; i < x + w; i++) set(i, j, rgb);
    }

    /** A straight line (Bresenham) drawn with a square brush {@code thickness} pixels wide. */
    void line(int x0, int y0, int x1, int y1, int rgb, int thickness) {
        int dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0);
        int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
        int err = dx + dy;
        int half = (thickness - 1) / 2;
        while (true) {
            fillRect(x0 - half, y0 - half, thickness, thickness, rgb);
            if (x0 == x1 && y0 == y1) return;
            int e2 = 2 * err;
            if (e2 >= dy) {
                err += dy;
                x0 += sx;
            }
            if (e2 <= dx) {
                err += dx;
                y0 += sy;
            }
        }
    }

    /** Draws {@code text} with its top-left corner at (x, y), each font pixel {@code scale} pixels square. */
    void text(int x, int y, String text, int rgb, int scale) {
        for (int k = 0; k < text.length(); k++) {
            char c = text.charAt(k);
            int left = x + k * BitmapFont.ADVANCE * scale;
            for (int gy = 0; gy < BitmapFont.GLYPH_HEIGHT; gy++) {
                for (int gx = 0; gx < BitmapFont.GLYPH_WIDTH; gx++) {
                    if (BitmapFont.ink(c, gx, gy)) fillRect(left + gx * scale, y + gy * scale, scale, scale, rgb);
                }
            }
        }
    }
}

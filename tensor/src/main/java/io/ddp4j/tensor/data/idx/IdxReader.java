package io.ddp4j.tensor.data.idx;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST format): a magic number {@code 00 00 type ndims}, {@code ndims}
 * big-endian 32-bit dimensions, then the elements row-major. Files compressed with gzip are
 * recognised by their magic bytes {@code 1f 8b}, whatever their name.
 *
 * <p>A file is only accepted when its data is exactly as long as its dimensions say: a short
 * file, trailing bytes, a bad magic number or absurd dimensions each give an
 * {@link IdxFormatException} naming the file. Memory is allocated as data arrives, never
 * up-front from a size the header merely claims.
 */
public final class IdxReader {

    /** IDX files in the wild have 1 to 4 dimensions; anything far beyond that is corruption. */
    static final int MAX_DIMS = 16;
    /** The largest data a Java byte array can hold. */
    static final long MAX_DATA_BYTES = Integer.MAX_VALUE - 16;
    /** The first buffer; it doubles as data arrives, so a lying header cannot make us allocate ahead. */
    private static final int INITIAL_BUFFER = 1 << 20;
    /** When reporting trailing garbage, count at most this many bytes of it. */
    private static final int TRAILING_COUNT_LIMIT = 1 << 20;

    private IdxReader() {}

    /** Reads an IDX file, plain or gzip-compressed. */
    public static IdxArray read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read IDX file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads one IDX array from a stream, which must end right after it.
     *
     * @param source the name used in error messages (usually the file name)
     */
    public static IdxArray read(InputStream raw, String source) throws IOException {
        BufferedInputStream peek = new BufferedInputStream(raw, 1 << 16);
        InputStream in = peek;
        boolean gzip = startsWithGzipMagic(peek);
        if (gzip) {
            try {
                in = new GZIPInputStream(peek, 1 << 16);
            } catch (ZipException | EOFException e) {
                throw new IdxFormatException(source, 0, "corrupt gzip header: " + e.getMessage(), e);
            }
        }
        try {
            return parse(in, source);
        } catch (ZipException | EOFException e) {
            // the gzip layer found damage (bad CRC, cut-off stream) below the IDX layer
            throw new IdxFormatException(source, 0, "corrupt or truncated gzip data: " + e.getMessage(), e);
        }
    }

    private static boolean startsWithGzipMagic(BufferedInputStream in) throws IOException {
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        return b0 == 0x1f && b1 == 0x8b;
    }

    private static IdxArray parse(InputStream in, String source) throws IOException {
        byte[] magic = new byte[4];
        int got = in.readNBytes(magic, 0, 4);
        if (got < 4) {
            throw new IdxFormatException(source, got, "file ends inside the 4-byte magic number (" + got + " bytes)");
        }
        if (magic[0] != 0 || magic[1] != 0) {
            throw new IdxFormatException(source, 0, String.format(
                    "bad magic number %02X %02X %02X %02X: an IDX file starts with 00 00 <type> <ndims>",
                    magic[0], magic[1], magic[2], magic[3]));
        }
        IdxType type = IdxType.fromCode(magic[2] & 0xFF, source);
        int ndims = magic[3] & 0xFF;
        if (ndims < 1 || ndims > MAX_DIMS) {
            throw new IdxFormatException(source, 3, "number of dimensions is " + ndims + ", expected 1 to " + MAX_DIMS);
        }

        byte[] dimBytes = new byte[4 * ndims];
        got = in.readNBytes(dimBytes, 0, dimBytes.length);
        if (got < dimBytes.length) {
            throw new IdxFormatException(source, 4 + got, "file ends inside the dimensions: "
                    + ndims + " dimensions need " + dimBytes.length + " bytes, found " + got);
        }
        int[] shape = new int[ndims];
        long bytes = type.byteSize();
        for (int i = 0; i < ndims; i++) {
            long d = readBigEndianUnsignedInt(dimBytes, 4 * i);
            if (d > Integer.MAX_VALUE) {
                throw new IdxFormatException(source, 4 + 4L * i, "dimension " + i + " is " + d + ", too large");
            }
            shape[i] = (int) d;
            bytes *= d; // cannot overflow: checked against MAX_DATA_BYTES after each step
            if (bytes > MAX_DATA_BYTES) {
                throw new IdxFormatException(source, 4 + 4L * i, "dimensions " + Arrays.toString(Arrays.copyOf(shape, i + 1))
                        + " of " + type + " describe more than " + MAX_DATA_BYTES + " bytes of data");
            }
        }

        long headerBytes = 4 + 4L * ndims;
        byte[] data = readExactly(in, (int) bytes, source, headerBytes, shape, type);
        int extra = in.read();
        if (extra != -1) {
            long trailing = 1 + countRemaining(in, TRAILING_COUNT_LIMIT);
            throw new IdxFormatException(source, headerBytes + bytes, "trailing data after the " + bytes
                    + " data bytes that dimensions " + Arrays.toString(shape) + " of " + type + " describe: "
                    + (trailing > TRAILING_COUNT_LIMIT ? "more than " + TRAILING_COUNT_LIMIT : trailing) + " extra bytes");
        }
        return new IdxArray(shape, type, data);
    }

    private static byte[] readExactly(InputStream in, int expected, String source, long headerBytes,
                                      int[] shape, IdxType type) throws IOException {
        byte[] data = new byte[Math.min(expected, INITIAL_BUFFER)];
        int filled = 0;
        while (filled < expected) {
            if (filled == data.length) {
                data = Arrays.copyOf(data, (int) Math.min(expected, 2L * data.length));
            }
            int n = in.read(data, filled, data.length - filled);
            if (n < 0) {
                throw new IdxFormatException(source, headerBytes + filled, "truncated: dimensions "
                        + Arrays.toString(shape) + " of " + type + " need " + expected + " data bytes after the "
                        + headerBytes + "-byte header, but the file has only " + filled);
            }
            filled += n;
        }
        return data;
    }

    /** Counts the bytes left in the stream, stopping a little past {@code limit}. */
    private static long countRemaining(InputStream in, int limit) throws IOException {
        byte[] sink = new byte[8192];
        long count = 0;
        int n;
        while (count <= limit && (n = in.read(sink)) >= 0) count += n;
        return count;
    }

    private static long readBigEndianUnsignedInt(byte[] b, int at) {
        return ((b[at] & 0xFFL) << 24) | ((b[at + 1] & 0xFFL) << 16) | ((b[at + 2] & 0xFFL) << 8) | (b[at + 3] & 0xFFL);
    }
}

package io.ddp4j.tensor.data.idx;

import static io.ddp4j.tensor.data.idx.IdxBytes.gzip;
import static io.ddp4j.tensor.data.idx.IdxBytes.idx;
import static io.ddp4j.tensor.data.idx.IdxBytes.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

    @TempDir
    Path dir;

    private static final byte[] SIX_PIXELS = {0, 1, 127, (byte) 128, (byte) 254, (byte) 255};

    @Test
    void readsAPlainUnsignedByteFileWithItsShapeAndValues() {
        Path f = write(dir.resolve("plain"), idx(0x08, new int[] {2, 3}, SIX_PIXELS));
        IdxArray a = IdxReader.read(f);
        assertEquals(IdxType.UNSIGNED_BYTE, a.type());
        assertArrayEquals(new int[] {2, 3}, a.shape());
        assertArrayEquals(SIX_PIXELS, a.data());
        assertEquals(255.0, a.get(5));
        assertEquals(128.0, a.get(3));
    }

    @Test
    void recognisesGzipByItsMagicBytesNotItsName() {
        Path f = write(dir.resolve("no-gz-suffix"), gzip(idx(0x08, new int[] {2, 3}, SIX_PIXELS)));
        IdxArray a = IdxReader.read(f);
        assertArrayEquals(new int[] {2, 3}, a.shape());
        assertArrayEquals(SIX_PIXELS, a.data());
    }

    @Test
    void decodesEveryElementTypeBigEndian() {
        assertEquals(-2.0, readOne(0x09, new byte[] {(byte) 0xFE}));
        assertEquals(-300.0, readOne(0x0B, ByteBuffer.allocate(2).putShort((short) -300).array()));
        assertEquals(70000.0, readOne(0x0C, ByteBuffer.allocate(4).putInt(70000).array()));
        assertEquals(1.5, readOne(0x0D, ByteBuffer.allocate(4).putFloat(1.5f).array()));
        assertEquals(Math.PI, readOne(0x0E, ByteBuffer.allocate(8).putDouble(Math.PI).array()));
        assertEquals(IdxType.DOUBLE, IdxReader.read(write(dir.resolve("d"), idx(0x0E, new int[] {1}, new byte[8]))).type());
    }

    private double readOne(int type, byte[] element) {
        return IdxReader.read(write(dir.resolve("t" + type), idx(type, new int[] {1}, element))).get(0);
    }

    @Test
    void truncatedDataNamesTheFileAndTheExpectedAndActualByteCounts() {
        Path f = write(dir.resolve("short"), idx(0x08, new int[] {2, 3}, Arrays.copyOf(SIX_PIXELS, 4)));
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("need 6 data bytes"), e.getMessage());
        assertTrue(e.getMessage().contains("has only 4"), e.getMessage());
        assertEquals(12 + 4, e.offset());
    }

    @Test
    void truncatedGzipDataIsReportedTheSameWay() {
        Path f = write(dir.resolve("short.gz"), gzip(idx(0x08, new int[] {2, 3}, Arrays.copyOf(SIX_PIXELS, 5))));
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertTrue(e.getMessage().contains("need 6 data bytes") && e.getMessage().contains("has only 5"), e.getMessage());
    }

    @Test
    void aHeaderClaimingAGigabyteOverAFewBytesIsTruncatedNotAllocated() {
        long before = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        Path f = write(dir.resolve("liar.gz"), gzip(idx(0x08, new int[] {1 << 15, 1 << 15}, SIX_PIXELS)));
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertTrue(e.getMessage().contains("need 1073741824 data bytes") && e.getMessage().contains("has only 6"), e.getMessage());
        long after = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
        assertTrue(after - before < 256L << 20, "reading a lying header should not allocate its claimed size");
    }

    @Test
    void dimensionsDescribingMoreThanAByteArrayHoldsAreRejected() {
        Path f = write(dir.resolve("huge"), idx(0x0E, new int[] {1 << 20, 1 << 20}, new byte[0]));
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertTrue(e.getMessage().contains("describe more than"), e.getMessage());
    }

    @Test
    void aDimensionAboveTwoToThe31IsRejected() {
        Path f = write(dir.resolve("neg"), idx(0x08, new int[] {-1}, new byte[0]));
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertTrue(e.getMessage().contains("dimension 0 is 4294967295"), e.getMessage());
    }

    @Test
    void trailingGarbageIsAnError() {
        byte[] withGarbage = idx(0x08, new int[] {2, 3}, Arrays.copyOf(SIX_PIXELS, 9));
        Path f = write(dir.resolve("long"), withGarbage);
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertTrue(e.getMessage().contains("trailing data") && e.getMessage().contains("3 extra bytes"), e.getMessage());
    }

    @Test
    void aWrongMagicNumberIsNamedInHex() {
        byte[] bytes = idx(0x08, new int[] {6}, SIX_PIXELS);
        bytes[0] = 0x50; // e.g. a PNG or text file
        Path f = write(dir.resolve("magic"), bytes);
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertTrue(e.getMessage().contains("bad magic number 50 00 08 01"), e.getMessage());
    }

    @Test
    void anUnknownElementTypeIsNamed() {
        Path f = write(dir.resolve("type"), idx(0x0A, new int[] {1}, new byte[1]));
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertTrue(e.getMessage().contains("unknown element type 0x0A"), e.getMessage());
    }

    @Test
    void zeroOrTooManyDimensionsAreRejected() {
        Path none = write(dir.resolve("zero"), idx(0x08, new int[0], new byte[0]));
        assertTrue(assertThrows(IdxFormatException.class, () -> IdxReader.read(none))
                .getMessage().contains("number of dimensions is 0"));
        Path many = write(dir.resolve("many"), idx(0x08, new int[200], new byte[0]));
        assertTrue(assertThrows(IdxFormatException.class, () -> IdxReader.read(many))
                .getMessage().contains("number of dimensions is 200"));
    }

    @Test
    void filesEndingInsideTheHeaderSayWhere() {
        Path empty = write(dir.resolve("empty"), new byte[0]);
        assertTrue(assertThrows(IdxFormatException.class, () -> IdxReader.read(empty))
                .getMessage().contains("inside the 4-byte magic number"));
        byte[] cut = Arrays.copyOf(idx(0x08, new int[] {2, 3}, new byte[0]), 10);
        Path dims = write(dir.resolve("dims"), cut);
        assertTrue(assertThrows(IdxFormatException.class, () -> IdxReader.read(dims))
                .getMessage().contains("2 dimensions need 8 bytes, found 6"));
    }

    @Test
    void corruptGzipIsAnIdxFormatErrorNotACrash() {
        byte[] gz = gzip(idx(0x08, new int[] {2, 3}, SIX_PIXELS));
        byte[] cut = Arrays.copyOf(gz, gz.length - 6); // loses part of the CRC/length trailer
        Path f = write(dir.resolve("cut.gz"), cut);
        var e = assertThrows(IdxFormatException.class, () -> IdxReader.read(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("gzip"), e.getMessage());
    }
}

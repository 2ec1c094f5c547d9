package io.ddp4j.tensor.io.safetensors;

import static io.ddp4j.tensor.io.safetensors.SafetensorsFiles.file;
import static io.ddp4j.tensor.io.safetensors.SafetensorsFiles.raw;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.tensor.DType;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each rule of the format, broken on purpose by a hand-made file, gives a message that says which and where. */
class SafetensorsValidationTest {

    @TempDir
    Path dir;

    private String rejected(Path f) {
        var e = assertThrows(SafetensorsFormatException.class, () -> SafetensorsFile.read(f).close());
        assertTrue(e.getMessage().startsWith(f.toString() + ": "), e.getMessage());
        return e.getMessage();
    }

    private static void assertContains(String message, String expected) {
        assertTrue(message.contains(expected), "expected \"" + expected + "\" in: " + message);
    }

    private static final String ONE_I32 = "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";

    @Test
    void readsTheReferenceImplementationsDocumentedExample() throws Exception {
        // safetensors' own docs show this file: a 60-byte header (0x3c) and a 2x2 int32 tensor of zeros
        byte[] header = ONE_I32.getBytes(StandardCharsets.UTF_8);
        assertEquals(0x3c, header.length);
        ByteBuffer b = ByteBuffer.allocate(8 + 60 + 16).order(ByteOrder.LITTLE_ENDIAN).putLong(0x3c).put(header);
        Path f = Files.write(dir.resolve("doc.safetensors"), b.array());
        try (SafetensorsFile sf = SafetensorsFile.read(f)) {
            TensorEntry t = sf.get("test");
            assertEquals(DType.I32, t.dtype());
            assertArrayEquals(new long[] {2, 2}, t.shape());
            assertEquals(0, t.data().get(ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN), 12));
        }
    }

    @Test
    void aHeaderPaddedWithTrailingSpacesIsAccepted() {
        Path f = file(dir.resolve("padded"), ONE_I32 + "    ", 16);
        try (SafetensorsFile sf = SafetensorsFile.read(f)) {
            assertEquals(15, sf.get("test").data().get(ValueLayout.JAVA_BYTE, 15));
        }
    }

    @Test
    void aFileShorterThanTheLengthPrefix() throws Exception {
        Path f = Files.write(dir.resolve("tiny"), new byte[5]);
        assertContains(rejected(f), "file is 5 bytes, too short for the 8-byte header length");
    }

    @Test
    void aHeaderLengthOverTheLimitIsRefusedBeforeAllocating() {
        assertContains(rejected(raw(dir.resolve("big"), 200_000_000L, new byte[] {'{', '}'}, 0)),
                "header length 200000000 exceeds the limit of 100000000 bytes");
        // the prefix is unsigned: all ones is 2^64-1, not -1
        assertContains(rejected(raw(dir.resolve("huge"), -1L, new byte[] {'{', '}'}, 0)),
                "header length 18446744073709551615 exceeds");
    }

    @Test
    void aHeaderLengthPastTheEndOfTheFile() {
        assertContains(rejected(raw(dir.resolve("past"), 50, "{}".getBytes(StandardCharsets.UTF_8), 0)),
                "header length 50 runs past the end of the file (10 bytes)");
    }

    @Test
    void aHeaderThatIsNotUtf8() {
        byte[] h = {'{', '"', (byte) 0xC3, (byte) 0x28, '"', ':', '1', '}'};
        assertContains(rejected(raw(dir.resolve("latin"), h.length, h, 0)),
                "header is not valid UTF-8: bad byte sequence at file offset 10");
    }

    @Test
    void aHeaderThatIsNotJson() {
        String m = rejected(file(dir.resolve("json"), "{\"a\": [1,}", 0));
        assertContains(m, "header is not valid JSON");
        assertContains(m, "file offset 17");
    }

    @Test
    void aHeaderThatIsNotAnObject() {
        assertContains(rejected(file(dir.resolve("list"), "[1, 2]", 0)), "header must be a JSON object, found a list");
    }

    @Test
    void duplicateTensorNames() {
        String h = "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}";
        assertContains(rejected(file(dir.resolve("dup"), h, 2)), "duplicate key \"w\"");
    }

    @Test
    void unknownAndUnsupportedDtypes() {
        assertContains(rejected(file(dir.resolve("q7"), "{\"w\":{\"dtype\":\"Q7\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1)),
                "tensor \"w\" has unknown dtype \"Q7\": expected one of F32, F16, BF16, F64, I32, I64, U8, BOOL");
        assertContains(rejected(file(dir.resolve("i16"), "{\"w\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2)),
                "tensor \"w\" has unsupported dtype I16");
        assertContains(rejected(file(dir.resolve("num"), "{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4)),
                "tensor \"w\": dtype must be a string, found a number");
    }

    @Test
    void shapesMustBeListsOfNonNegativeIntegers() {
        assertContains(rejected(file(dir.resolve("neg"), "{\"w\":{\"dtype\":\"U8\",\"shape\":[2,-1],\"data_offsets\":[0,0]}}", 0)),
                "tensor \"w\": shape [2, -1] has dimension 1 must be an integer from 0 to 9223372036854775807, found -1");
        assertContains(rejected(file(dir.resolve("frac"), "{\"w\":{\"dtype\":\"U8\",\"shape\":[2.5],\"data_offsets\":[0,0]}}", 0)),
                "found 2.5");
        assertContains(rejected(file(dir.resolve("str"), "{\"w\":{\"dtype\":\"U8\",\"shape\":\"2\",\"data_offsets\":[0,2]}}", 2)),
                "tensor \"w\": shape must be a list, found a string");
        assertContains(rejected(file(dir.resolve("overflow"),
                        "{\"w\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0)),
                "has more bytes than a 64-bit size can count");
    }

    @Test
    void missingFieldsAreNamed() {
        assertContains(rejected(file(dir.resolve("noshape"), "{\"w\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", 1)),
                "tensor \"w\" has no \"shape\"");
        assertContains(rejected(file(dir.resolve("notobj"), "{\"w\":[1]}", 0)),
                "tensor \"w\" must be an object with dtype, shape and data_offsets, found a list");
    }

    @Test
    void offsetsMustHoldExactlyTheShapesBytes() {
        assertContains(rejected(file(dir.resolve("size"), "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", 12)),
                "tensor \"w\": data_offsets [0, 12] hold 12 bytes but shape [2, 2] of F32 needs 16");
        assertContains(rejected(file(dir.resolve("back"), "{\"w\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4)),
                "data_offsets [4, 0] end before they begin");
        assertContains(rejected(file(dir.resolve("three"), "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", 1)),
                "data_offsets must be [begin, end], found [0, 1, 2]");
        assertContains(rejected(file(dir.resolve("huge"), "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,18446744073709551616]}}", 1)),
                "data_offsets end must be an integer from 0 to 9223372036854775807, found 18446744073709551616");
    }

    @Test
    void tensorsMustTileTheBufferWithoutGapsOrOverlaps() {
        String gap = "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[3,5]}}";
        assertContains(rejected(file(dir.resolve("gap"), gap, 5)),
                "tensor \"b\" begins at byte 3 of the data buffer but the previous tensor \"a\" ends at 2 (gap)");
        String overlap = "{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[1,3]},"
                + "\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}";
        assertContains(rejected(file(dir.resolve("overlap"), overlap, 3)),
                "tensor \"b\" begins at byte 1 of the data buffer but the previous tensor \"a\" ends at 2 (overlap)");
        String late = "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[1,3]}}";
        assertContains(rejected(file(dir.resolve("late"), late, 3)),
                "tensor \"a\" begins at byte 1 of the data buffer but the data buffer starts at 0 (gap)");
    }

    @Test
    void theLastTensorMustEndExactlyAtTheEndOfTheFile() {
        assertContains(rejected(file(dir.resolve("trailing"), ONE_I32, 20)),
                "the tensors cover 16 bytes but the data buffer after the header has 20 (trailing bytes)");
        assertContains(rejected(file(dir.resolve("truncated"), ONE_I32, 10)),
                "the tensors cover 16 bytes but the data buffer after the header has 10 (file truncated)");
    }

    @Test
    void metadataMustMapStringsToStrings() {
        assertContains(rejected(file(dir.resolve("meta"), "{\"__metadata__\":{\"epoch\":3}}", 0)),
                "__metadata__ must map strings to strings, but \"epoch\" has a number");
        assertContains(rejected(file(dir.resolve("meta2"), "{\"__metadata__\":\"x\"}", 0)),
                "__metadata__ must be an object of strings, found a string");
    }

    @Test
    void tensorsAreListedInBufferOrderWhateverTheHeaderOrder() {
        String h = "{\"second\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]},"
                + "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[2,2]},"
                + "\"first\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]}}";
        try (SafetensorsFile sf = SafetensorsFile.read(file(dir.resolve("order"), h, 2))) {
            assertEquals(java.util.List.of("first", "second", "empty"), sf.names());
            assertEquals(1, sf.get("second").data().get(ValueLayout.JAVA_BYTE, 0));
            assertEquals(1, sf.get("first").elementCount()); // a scalar
            assertEquals(0, sf.get("empty").data().byteSize());
        }
    }
}

package io.ddp4j.tensor.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    /** A tensor of random bytes: any bit pattern is a valid little-endian element for this test's purpose. */
    private static TensorEntry randomEntry(String name, DType dtype, long[] shape, Random random) {
        byte[] bytes = new byte[(int) (TensorEntry.elementCount(shape) * dtype.byteSize())];
        random.nextBytes(bytes);
        return new TensorEntry(name, dtype, shape, MemorySegment.ofArray(bytes));
    }

    private static byte[] bytesOf(TensorEntry e) {
        return e.data().toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void everyDtypeRoundTripsWithItsNameShapeAndBytesInOrder() {
        Random random = new Random(42);
        List<TensorEntry> written = new ArrayList<>();
        for (DType d : DType.values()) {
            // odd sizes so that later tensors start unaligned: the format has no padding between tensors
            written.add(randomEntry("layer." + d.safetensorsName().toLowerCase(), d, new long[] {3, 5}, random));
        }
        Path f = dir.resolve("all.safetensors");
        SafetensorsWriter.write(f, written, Map.of());
        try (SafetensorsFile sf = SafetensorsFile.read(f)) {
            assertEquals(written.stream().map(TensorEntry::name).toList(), sf.names());
            for (TensorEntry w : written) {
                TensorEntry r = sf.get(w.name());
                assertEquals(w.dtype(), r.dtype(), w.name());
                assertArrayEquals(w.shape(), r.shape(), w.name());
                assertArrayEquals(bytesOf(w), bytesOf(r), w.name());
            }
            assertTrue(sf.metadata().isEmpty());
        }
    }

    @Test
    void floatsAreStoredLittleEndianAtEightByteAlignedDataStart() throws Exception {
        Path f = dir.resolve("w.safetensors");
        SafetensorsWriter.write(f, List.of(TensorEntry.ofFloats("w", new long[] {2}, new float[] {1.5f, -2f})), Map.of());
        byte[] file = Files.readAllBytes(f);
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        long n = b.getLong(0);
        assertEquals(0, n % 8, "header length is padded to a multiple of 8");
        assertEquals(8 + n + 8, file.length);
        String header = new String(file, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", header.stripTrailing());
        assertTrue(header.endsWith(" ") || header.length() % 8 == 0);
        assertEquals(1.5f, b.getFloat((int) (8 + n)));
        assertEquals(-2f, b.getFloat((int) (8 + n + 4)));
    }

    @Test
    void metadataRoundTripsWithUnicodeAndEscapes() {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("note", "époque 3 \"best\"\nline two \\ 😀");
        Path f = dir.resolve("meta.safetensors");
        SafetensorsWriter.write(f, List.of(TensorEntry.ofFloats("größe", new long[] {}, new float[] {7f})), meta);
        try (SafetensorsFile sf = SafetensorsFile.read(f)) {
            assertEquals(meta, sf.metadata());
            assertEquals(7f, sf.get("größe").data().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0));
        }
    }

    @Test
    void emptyFilesAndZeroElementTensorsAreValid() {
        Path empty = dir.resolve("empty.safetensors");
        SafetensorsWriter.write(empty, List.of(), Map.of());
        try (SafetensorsFile sf = SafetensorsFile.read(empty)) {
            assertTrue(sf.entries().isEmpty());
        }
        Path zero = dir.resolve("zero.safetensors");
        SafetensorsWriter.write(zero, List.of(TensorEntry.ofFloats("none", new long[] {0, 4}, new float[0]),
                TensorEntry.ofFloats("one", new long[] {1}, new float[] {3f})), Map.of());
        try (SafetensorsFile sf = SafetensorsFile.read(zero)) {
            assertEquals(List.of("none", "one"), sf.names());
            assertArrayEquals(new long[] {0, 4}, sf.get("none").shape());
        }
    }

    @Test
    void nativeMemoryIsWrittenAsWellAsHeapArrays() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(3 * 8);
            for (int i = 0; i < 3; i++) seg.setAtIndex(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i, -i * 1000L);
            Path f = dir.resolve("native.safetensors");
            SafetensorsWriter.write(f, List.of(new TensorEntry("ids", DType.I64, new long[] {3}, seg)), Map.of());
            try (SafetensorsFile sf = SafetensorsFile.read(f)) {
                assertEquals(-2000L, sf.get("ids").data().getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 2));
            }
        }
    }

    @Test
    void entriesCannotBeUsedAfterTheFileIsClosed() {
        Path f = dir.resolve("closed.safetensors");
        SafetensorsWriter.write(f, List.of(TensorEntry.ofFloats("w", new long[] {1}, new float[] {1f})), Map.of());
        SafetensorsFile sf = SafetensorsFile.read(f);
        TensorEntry w = sf.get("w");
        sf.close();
        sf.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> w.data().get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void theWriterRefusesNamesTheFormatCannotHold() {
        TensorEntry w = TensorEntry.ofFloats("w", new long[] {1}, new float[] {1f});
        Path f = dir.resolve("bad.safetensors");
        var dup = assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(f, List.of(w, w), Map.of()));
        assertTrue(dup.getMessage().contains("two tensors are named \"w\""), dup.getMessage());
        TensorEntry meta = TensorEntry.ofFloats("__metadata__", new long[] {1}, new float[] {1f});
        assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.write(f, List.of(meta), Map.of()));
        assertTrue(Files.notExists(f));
    }

    @Test
    void anEntryWhoseDataDoesNotMatchItsShapeCannotBeMade() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new TensorEntry("w", DType.F32, new long[] {2, 2}, MemorySegment.ofArray(new byte[12])));
        assertTrue(e.getMessage().contains("shape [2, 2] of float32 needs 16 bytes, data has 12"), e.getMessage());
    }
}

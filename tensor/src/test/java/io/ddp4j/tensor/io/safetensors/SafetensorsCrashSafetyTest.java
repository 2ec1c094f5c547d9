package io.ddp4j.tensor.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ddp4j.tensor.DType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The target file is always either the old complete file or the new complete one. */
class SafetensorsCrashSafetyTest {

    @TempDir
    Path dir;

    private List<String> filesInDir() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aWriterThatFailsMidwayLeavesTheOldFileIntactAndNoTempFile() throws Exception {
        Path target = dir.resolve("model.safetensors");
        SafetensorsWriter.write(target, List.of(TensorEntry.ofFloats("old", new long[] {2}, new float[] {1f, 2f})),
                Map.of("version", "1"));
        byte[] before = Files.readAllBytes(target);

        // the second tensor's memory is freed: the write fails after the header and first tensor went out
        Arena arena = Arena.ofConfined();
        MemorySegment freed = arena.allocate(4 * 1024);
        arena.close();
        List<TensorEntry> next = List.of(
                TensorEntry.ofFloats("fine", new long[] {1024}, new float[1024]),
                new TensorEntry("freed", DType.F32, new long[] {1024}, freed));
        assertThrows(IllegalStateException.class, () -> SafetensorsWriter.write(target, next, Map.of("version", "2")));

        assertArrayEquals(before, Files.readAllBytes(target));
        assertEquals(List.of("model.safetensors"), filesInDir());
        try (SafetensorsFile sf = SafetensorsFile.read(target)) {
            assertEquals(Map.of("version", "1"), sf.metadata());
        }
    }

    @Test
    void aSuccessfulWriteReplacesTheOldFileCompletely() throws Exception {
        Path target = dir.resolve("model.safetensors");
        SafetensorsWriter.write(target, List.of(TensorEntry.ofFloats("old", new long[] {100}, new float[100])), Map.of());
        SafetensorsWriter.write(target, List.of(TensorEntry.ofFloats("new", new long[] {1}, new float[] {5f})), Map.of());
        try (SafetensorsFile sf = SafetensorsFile.read(target)) {
            assertEquals(List.of("new"), sf.names());
        }
        assertEquals(List.of("model.safetensors"), filesInDir());
    }

    @Test
    void aFileStaysReadableThroughItsMappingWhileItIsReplaced() throws Exception {
        Path target = dir.resolve("model.safetensors");
        SafetensorsWriter.write(target, List.of(TensorEntry.ofFloats("w", new long[] {1}, new float[] {1f})), Map.of());
        try (SafetensorsFile old = SafetensorsFile.read(target)) {
            SafetensorsWriter.write(target, List.of(TensorEntry.ofFloats("w", new long[] {1}, new float[] {2f})), Map.of());
            // the rename leaves the old inode, and so the old mapping, untouched
            assertEquals(1f, old.get("w").data().get(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED
                    .withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 0));
        }
    }

    @Test
    void writingIntoAMissingFolderFailsWithThePath() {
        Path target = dir.resolve("no/such/folder/model.safetensors");
        var e = assertThrows(java.io.UncheckedIOException.class, () -> SafetensorsWriter.write(target,
                List.of(TensorEntry.ofFloats("w", new long[] {1}, new float[] {1f})), Map.of()));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains(target.toString()), e.getMessage());
    }
}

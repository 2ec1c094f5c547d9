package io.ddp4j.tensor.io.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes safetensors files atomically: readers (and a crash at any moment) see either the old
 * file or the complete new one, never a partial file. The data goes to a temporary file in the
 * same folder, which is synced to disk, renamed over the target in one step, and then the
 * folder itself is synced so the rename survives a power loss.
 */
public final class SafetensorsWriter {

    private static final int CHUNK = 1 << 20;

    private SafetensorsWriter() {}

    /**
     * Writes {@code tensors} in the given order, back to back after a header padded to 8 bytes.
     * Each entry's data must already be little-endian.
     */
    public static void write(Path target, List<TensorEntry> tensors, Map<String, String> metadata) {
        checkNames(tensors, metadata);
        byte[] header = SafetensorsHeader.encode(tensors, metadata);
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        Path temp = dir.resolve("." + absolute.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeFully(ch, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length));
                writeFully(ch, ByteBuffer.wrap(header));
                byte[] chunk = new byte[CHUNK];
                for (TensorEntry t : tensors) writeSegment(ch, t.data(), chunk);
                ch.force(true);
            }
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(temp, e);
            throw new UncheckedIOException("cannot write safetensors file " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            // e.g. a tensor whose memory was freed: the target is untouched and no temp file stays behind
            deleteQuietly(temp, e);
            throw e;
        }
        syncDirectory(dir);
    }

    private static void deleteQuietly(Path temp, Throwable cause) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException suppressed) {
            cause.addSuppressed(suppressed);
        }
    }

    private static void checkNames(List<TensorEntry> tensors, Map<String, String> metadata) {
        Set<String> seen = new HashSet<>();
        for (TensorEntry t : tensors) {
            if (t.name().equals(SafetensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("a tensor cannot be named " + SafetensorsHeader.METADATA_KEY
                        + ": the header reserves that key for metadata");
            }
            if (!seen.add(t.name())) throw new IllegalArgumentException("two tensors are named " + Json.quote(t.name()));
        }
        metadata.forEach((k, v) -> {
            Objects.requireNonNull(k, "metadata key");
            Objects.requireNonNull(v, () -> "metadata value of " + Json.quote(k));
        });
    }

    /** Copies through a heap chunk: works for native, mapped and any heap segment, of any size. */
    private static void writeSegment(FileChannel ch, MemorySegment data, byte[] chunk) throws IOException {
        long size = data.byteSize();
        for (long off = 0; off < size; off += CHUNK) {
            int n = (int) Math.min(CHUNK, size - off);
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, off, chunk, 0, n);
            writeFully(ch, ByteBuffer.wrap(chunk, 0, n));
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /** Makes the rename durable. Some platforms (Windows) cannot open a folder as a channel; there the rename stands as it is. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort: the data itself is already on disk
        }
    }
}

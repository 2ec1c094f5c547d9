package io.ddp4j.tensor.io.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened for reading: the header is parsed and validated in full before
 * anything else happens, then the data buffer is memory-mapped read-only and each tensor is a
 * slice of that mapping (no copy). Closing unmaps it; entries used after that throw
 * {@link IllegalStateException}. The mapping belongs to a shared arena, so any thread may read.
 */
public final class SafetensorsFile implements AutoCloseable {

    private final Path path;
    private final Arena arena;
    private final SafetensorsHeader header;
    private final Map<String, TensorEntry> entries;

    private SafetensorsFile(Path path, Arena arena, SafetensorsHeader header, Map<String, TensorEntry> entries) {
        this.path = path;
        this.arena = arena;
        this.header = header;
        this.entries = entries;
    }

    /** Opens, validates and maps {@code file}. */
    public static SafetensorsFile read(Path file) {
        String source = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new SafetensorsFormatException(source, "file is " + size + " bytes, too short for the 8-byte header length");
            }
            long n = readFully(ch, 0, 8, source).order(ByteOrder.LITTLE_ENDIAN).getLong();
            // n is an unsigned 64-bit number: negative here means at least 2^63
            if (n < 0 || n > SafetensorsHeader.MAX_HEADER_BYTES) {
                throw new SafetensorsFormatException(source, "header length " + Long.toUnsignedString(n)
                        + " exceeds the limit of " + SafetensorsHeader.MAX_HEADER_BYTES + " bytes");
            }
            if (8 + n > size) {
                throw new SafetensorsFormatException(source, "header length " + n + " runs past the end of the file ("
                        + size + " bytes)");
            }
            byte[] headerBytes = readFully(ch, 8, (int) n, source).array();
            long bufferBytes = size - 8 - n;
            SafetensorsHeader header = SafetensorsHeader.parse(headerBytes, bufferBytes, source);

            Arena arena = Arena.ofShared();
            try {
                MemorySegment buffer = ch.map(FileChannel.MapMode.READ_ONLY, 8 + n, bufferBytes, arena);
                Map<String, TensorEntry> entries = new LinkedHashMap<>();
                for (SafetensorsHeader.TensorInfo t : header.tensors()) {
                    entries.put(t.name(), new TensorEntry(t.name(), t.dtype(), t.shape(),
                            buffer.asSlice(t.begin(), t.end() - t.begin())));
                }
                return new SafetensorsFile(file, arena, header, Collections.unmodifiableMap(entries));
            } catch (Throwable t) {
                arena.close();
                throw t;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
        }
    }

    private static ByteBuffer readFully(FileChannel ch, long position, int length, String source) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            int got = ch.read(b, position + b.position());
            if (got < 0) {
                throw new SafetensorsFormatException(source, "file shrank while being read (at byte " + (position + b.position()) + ")");
            }
        }
        return b.flip();
    }

    public Path path() {
        return path;
    }

    /** The tensors in data-buffer order. */
    public List<TensorEntry> entries() {
        return new ArrayList<>(entries.values());
    }

    /** The tensor names, in data-buffer order. */
    public List<String> names() {
        return new ArrayList<>(entries.keySet());
    }

    /** The named tensor, or an exception listing what the file has. */
    public TensorEntry get(String name) {
        TensorEntry e = entries.get(name);
        if (e == null) {
            throw new IllegalArgumentException("no tensor " + Json.quote(name) + " in " + path + "; it has " + entries.keySet());
        }
        return e;
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** The free-form {@code __metadata__} strings (empty when the file has none). */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    public SafetensorsHeader header() {
        return header;
    }

    /** Unmaps the file. Idempotent. */
    @Override
    public void close() {
        if (arena.scope().isAlive()) arena.close();
    }
}

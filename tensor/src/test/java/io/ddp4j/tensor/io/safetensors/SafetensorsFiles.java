package io.ddp4j.tensor.io.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Hand-built safetensors files for tests, valid or not. */
final class SafetensorsFiles {
    private SafetensorsFiles() {}

    /** The 8-byte little-endian length of {@code header}, the header, then {@code bufferBytes} bytes counting 0, 1, 2, ... */
    static Path file(Path path, String header, int bufferBytes) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return raw(path, h.length, h, bufferBytes);
    }

    /** A file whose length prefix says {@code declaredLength}, whatever {@code header} really holds. */
    static Path raw(Path path, long declaredLength, byte[] header, int bufferBytes) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + bufferBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(header);
        for (int i = 0; i < bufferBytes; i++) b.put((byte) i);
        try {
            return Files.write(path, b.array());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

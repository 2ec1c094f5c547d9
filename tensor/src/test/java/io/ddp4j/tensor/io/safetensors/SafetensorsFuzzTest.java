package io.ddp4j.tensor.io.safetensors;

import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A damaged checkpoint is refused with the format's own exception, whatever the damage: thousands
 * of seeded mutations of a valid file (bytes of the header changed, JSON punctuation and digits
 * dropped in, the length prefix rewritten, the file cut short or extended) are each either read
 * in full, every tensor's bytes included, or refused with {@link SafetensorsFormatException}.
 * Nothing else may escape: no index or arithmetic exception, no out-of-memory from a size the
 * file only claims, and no crash of the JVM from a mapping that is read past its end.
 */
class SafetensorsFuzzTest {
    private static final int MUTATIONS = 3000;
    private static long checksum; // what the mapped bytes add up to, so reading them is not optimised away
    private static final byte[] JSON_BYTES = "{}[],:\"0123456789-.eE \\u".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    private byte[] validFile() throws IOException {
        Path f = dir.resolve("valid.safetensors");
        try (Scope s = Scope.open()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("layer.weight", Tensor.arange(0, 12, 1, DType.F32).reshape(3, 4));
            tensors.put("layer.bias", Tensor.arange(0, 3, 1, DType.BF16));
            tensors.put("steps", Tensor.arange(0, 1, 1, DType.I64).reshape());
            tensors.put("mask", Tensor.arange(0, 5, 1, DType.I32).gt(2L));
            TensorFiles.save(f, tensors, Map.of("format", "pt", "epoch", "3"));
        }
        return Files.readAllBytes(f);
    }

    private static byte[] mutate(byte[] valid, Random r) {
        int headerEnd = 8 + (int) ByteBuffer.wrap(valid, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        byte[] b = valid.clone();
        switch (r.nextInt(6)) {
            case 0 -> { // random bytes anywhere in the header
                for (int k = 1 + r.nextInt(3); k > 0; k--) b[8 + r.nextInt(headerEnd - 8)] = (byte) r.nextInt(256);
            }
            case 1 -> { // JSON punctuation and digits, which keep the header parsing further
                for (int k = 1 + r.nextInt(3); k > 0; k--) b[8 + r.nextInt(headerEnd - 8)] = JSON_BYTES[r.nextInt(JSON_BYTES.length)];
            }
            case 2 -> { // a digit of the header replaced by another: offsets and shapes that disagree
                int at = 8 + r.nextInt(headerEnd - 8);
                while (at < headerEnd && !Character.isDigit(b[at])) at++;
                if (at < headerEnd) b[at] = (byte) ('0' + r.nextInt(10));
            }
            case 3 -> { // the length prefix rewritten
                long declared = switch (r.nextInt(4)) {
                    case 0 -> headerEnd - 8 + r.nextInt(33) - 16;
                    case 1 -> r.nextLong();
                    case 2 -> -1L;
                    default -> r.nextInt(valid.length + 16);
                };
                ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(declared);
            }
            case 4 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length)); // cut short
            default -> b = java.util.Arrays.copyOf(b, b.length + 1 + r.nextInt(64)); // trailing bytes
        }
        return b;
    }

    @Test
    void everyMutationIsReadInFullOrRefusedWithTheFormatsException() throws IOException {
        byte[] valid = validFile();
        Random r = new Random(20261124);
        Path f = dir.resolve("mutated.safetensors");
        int refused = 0, read = 0;
        for (int i = 0; i < MUTATIONS; i++) {
            byte[] bytes = mutate(valid, r);
            Files.write(f, bytes);
            try (SafetensorsFile sf = SafetensorsFile.read(f)) {
                for (TensorEntry e : sf.entries()) // every mapped byte is readable
                    for (long k = 0; k < e.data().byteSize(); k++) checksum += e.data().get(ValueLayout.JAVA_BYTE, k);
                try (Scope s = Scope.open()) {
                    TensorFiles.load(f).values().forEach(Tensor::toDoubleArray);
                }
                read++;
            } catch (SafetensorsFormatException expected) {
                assertTrue(expected.getMessage().startsWith(f.toString()), expected.getMessage());
                refused++;
            } catch (RuntimeException | OutOfMemoryError e) {
                fail("mutation " + i + " (" + bytes.length + " bytes) escaped as " + e, e);
            }
        }
        // the mutations must exercise both outcomes, or the test says little
        assertTrue(refused > MUTATIONS / 2 && read > 0, "refused " + refused + ", read " + read);
    }
}

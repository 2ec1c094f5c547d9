package io.ddp4j.tensor.data.idx;

import static io.ddp4j.tensor.data.idx.IdxBytes.gzip;
import static io.ddp4j.tensor.data.idx.IdxBytes.idx;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A damaged dataset file is refused with {@link IdxFormatException}, whatever the damage:
 * thousands of seeded mutations of a valid IDX file, plain and gzipped (bytes changed, the file cut
 * short or extended), are each either read, every element decoded, or refused with it. Nothing
 * else escapes: no index exception, and no out-of-memory from dimensions the file only claims.
 */
class IdxFuzzTest {
    private static final int MUTATIONS = 3000;
    private static double checksum; // what the decoded elements add up to, so reading them is not optimised away

    private static byte[] mutate(byte[] valid, Random r) {
        byte[] b = valid.clone();
        switch (r.nextInt(4)) {
            case 0 -> { // a few bytes anywhere, most often in the 4-byte magic and the dimensions
                for (int k = 1 + r.nextInt(3); k > 0; k--) {
                    int at = r.nextBoolean() ? r.nextInt(Math.min(b.length, 16)) : r.nextInt(b.length);
                    b[at] = (byte) r.nextInt(256);
                }
            }
            case 1 -> b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8)); // one bit
            case 2 -> b = Arrays.copyOf(b, r.nextInt(b.length)); // cut short
            default -> b = Arrays.copyOf(b, b.length + 1 + r.nextInt(16)); // trailing bytes
        }
        return b;
    }

    private static void fuzz(byte[] valid, long seed) {
        Random r = new Random(seed);
        int refused = 0, read = 0;
        for (int i = 0; i < MUTATIONS; i++) {
            byte[] bytes = mutate(valid, r);
            try {
                IdxArray a = IdxReader.read(new ByteArrayInputStream(bytes), "mutation-" + i);
                for (int k = 0; k < a.elementCount(); k++) checksum += a.get(k); // every element decodes
                read++;
            } catch (IdxFormatException expected) {
                assertTrue(expected.getMessage().contains("mutation-" + i), expected.getMessage());
                refused++;
            } catch (RuntimeException | OutOfMemoryError e) {
                fail("mutation " + i + " (" + bytes.length + " bytes) escaped as " + e, e);
            }
        }
        assertTrue(refused > MUTATIONS / 2 && read > 0, "refused " + refused + ", read " + read);
    }

    private static byte[] images() {
        byte[] pixels = new byte[3 * 4 * 5];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (byte) (i * 37);
        return idx(0x08, new int[] {3, 4, 5}, pixels);
    }

    @Test
    void everyMutationOfAPlainFileIsReadOrRefusedWithTheFormatsException() {
        fuzz(images(), 1);
    }

    @Test
    void everyMutationOfAGzippedFileIsReadOrRefusedWithTheFormatsException() {
        fuzz(gzip(images()), 2);
    }
}

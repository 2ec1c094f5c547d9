package io.ddp4j.tensor.memory.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SizeClassesTest {

    @Test
    void smallRequestsRoundToMultiplesOf512() {
        assertEquals(512, SizeClasses.roundUp(0));
        assertEquals(512, SizeClasses.roundUp(1));
        assertEquals(512, SizeClasses.roundUp(512));
        assertEquals(1024, SizeClasses.roundUp(513));
        assertEquals(4096, SizeClasses.roundUp(4096));
    }

    @Test
    void largerRequestsTakeOneOfFourStepsPerPowerOfTwo() {
        assertEquals(5120, SizeClasses.roundUp(4097));
        assertEquals(8192, SizeClasses.roundUp(8000));
        assertEquals((1 << 20) + (1 << 18), SizeClasses.roundUp((1 << 20) + 1));
    }

    @Test
    void noClassWastesMoreThanAQuarterAndEveryClassFitsItsRequest() {
        for (long n = 4097; n < (1L << 34); n = n * 13 / 7 + 1) {
            long c = SizeClasses.roundUp(n);
            assertTrue(c >= n && c <= n * 1.25 + 1, n + " -> " + c);
            assertEquals(c, SizeClasses.roundUp(c), "a class rounds to itself");
        }
    }

    @Test
    void negativeSizesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> SizeClasses.roundUp(-1));
    }
}

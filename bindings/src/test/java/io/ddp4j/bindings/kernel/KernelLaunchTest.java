package io.ddp4j.bindings.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The argument buffer a launch hands to cudaLaunchKernel, checked without a GPU. */
class KernelLaunchTest {
    private final Kernel axpy = new Kernel("ddp4j_axpy_f32", 0x1234L);

    @Test
    void eachArgumentPointerAddressesItsOwnEightByteSlot() {
        try (KernelLaunch l = axpy.launcher(4)) {
            var pointers = l.argumentPointers();
            for (int i = 0; i < 4; i++) {
                assertEquals(l.argumentSlot(i).address(), pointers.getAtIndex(JAVA_LONG, i), "args[" + i + "]");
            }
            assertEquals(8, l.argumentSlot(1).address() - l.argumentSlot(0).address());
        }
    }

    @Test
    void argumentsAreStoredWithTheirCTypes() {
        try (KernelLaunch l = axpy.launcher(4)) {
            l.arg(0, 0xDEADBEEF00L).arg(1, 0xCAFE00L).argFloat(2, 2.5f).argInt(3, 7);
            assertEquals(0xDEADBEEF00L, l.argumentSlot(0).get(JAVA_LONG, 0));
            assertEquals(0xCAFE00L, l.argumentSlot(1).get(JAVA_LONG, 0));
            assertEquals(2.5f, l.argumentSlot(2).get(JAVA_FLOAT, 0));
            assertEquals(7, l.argumentSlot(3).get(JAVA_INT, 0));
        }
    }

    @Test
    void aOneDimensionalShapeCoversTheElementsWithACappedGrid() {
        try (KernelLaunch l = axpy.launcher(4)) {
            l.shape1d(1000, 256);
            assertEquals(4, l.gridDim().get(JAVA_INT, 0));
            assertEquals(256, l.blockDim().get(JAVA_INT, 0));
            assertEquals(1, l.gridDim().get(JAVA_INT, 4));
            l.shape1d(0, 256);
            assertEquals(1, l.gridDim().get(JAVA_INT, 0), "an empty launch still has one block");
            l.shape1d(1L << 40, 256);
            assertEquals(1 << 16, l.gridDim().get(JAVA_INT, 0), "the grid-stride loop covers the rest");
        }
    }

    @Test
    void anArgumentIndexOutOfRangeNamesTheKernel() {
        try (KernelLaunch l = axpy.launcher(2)) {
            var e = assertThrows(IndexOutOfBoundsException.class, () -> l.arg(2, 1L));
            assertTrue(e.getMessage().contains("ddp4j_axpy_f32 takes 2 arguments; no argument 2"), e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> l.argInt(-1, 1));
        }
    }

    @Test
    void launchingAfterCloseThrowsInsteadOfPassingFreedMemory() {
        KernelLaunch l = axpy.launcher(1);
        l.close();
        l.close(); // idempotent
        var e = assertThrows(IllegalStateException.class, () -> l.launch(0));
        assertTrue(e.getMessage().contains("ddp4j_axpy_f32"));
    }
}

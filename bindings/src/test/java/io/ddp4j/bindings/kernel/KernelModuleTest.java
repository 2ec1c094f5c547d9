package io.ddp4j.bindings.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class KernelModuleTest {

    @Test
    void aBuildWithNvccPackagesARealFatbin() throws Exception {
        assumeTrue(KernelModule.isPackaged(), "this build had no nvcc, so no fatbin is packaged");
        byte[] head;
        try (InputStream in = KernelModule.class.getResourceAsStream(KernelModule.RESOURCE)) {
            head = in.readNBytes(16);
        }
        // a fatbin container starts with the magic 0xBA55ED50, little-endian, then version 1
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xBA55ED50, b.getInt(0));
        assertEquals(1, b.getShort(4));
    }

    @Test
    void aBuildWithoutNvccFailsAtFirstUseSayingHowToGetKernels() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> KernelModule.load("/io/ddp4j/kernels/not-built.fatbin"));
        String m = e.getMessage();
        org.junit.jupiter.api.Assertions.assertTrue(m.contains("nvcc was not found") && m.contains("rebuild"), m);
    }
}

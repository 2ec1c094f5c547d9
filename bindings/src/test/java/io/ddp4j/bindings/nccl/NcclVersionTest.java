package io.ddp4j.bindings.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** NCCL_VERSION(X,Y,Z) from nccl.h: X*1000+Y*100+Z while X <= 2 and Y <= 8, else X*10000+Y*100+Z. */
class NcclVersionTest {

    @Test
    void encodesLikeTheNcclVersionMacro() {
        assertEquals(22803, new NcclVersion(2, 28, 3).code());
        assertEquals(2804, new NcclVersion(2, 8, 4).code());
        assertEquals(20906, new NcclVersion(2, 9, 6).code());
        assertEquals(30000, new NcclVersion(3, 0, 0).code());
    }

    @Test
    void theConfigVersionIsThatOfTheLaidOutHeaders() {
        assertEquals(22803, NcclVersion.HEADERS.code());
        assertEquals("2.28.3", NcclVersion.HEADERS.toString());
    }

    @Test
    void decodeInvertsEncodeOnBothSchemes() {
        for (int minor = 0; minor <= 40; minor++) {
            for (int patch = 0; patch <= 20; patch++) {
                NcclVersion v = new NcclVersion(2, minor, patch);
                assertEquals(v, NcclVersion.decode(v.code()), () -> "round trip of " + v);
            }
        }
        assertEquals("2.28.3", NcclVersion.decode(22803).toString());
        assertEquals("2.8.4", NcclVersion.decode(2804).toString());
    }

    @Test
    void ordersByVersionAcrossTheSchemeChange() {
        assertTrue(new NcclVersion(2, 8, 99).compareTo(new NcclVersion(2, 9, 0)) < 0);
        assertTrue(new NcclVersion(2, 28, 3).compareTo(new NcclVersion(2, 28, 9)) < 0);
        assertTrue(new NcclVersion(2, 30, 0).compareTo(new NcclVersion(2, 28, 9)) > 0);
    }

    @Test
    void rejectsWhatIsNoVersion() {
        assertThrows(IllegalArgumentException.class, () -> NcclVersion.decode(0));
        assertThrows(IllegalArgumentException.class, () -> NcclVersion.decode(-22803));
        assertThrows(IllegalArgumentException.class, () -> new NcclVersion(2, 100, 0));
        assertThrows(IllegalArgumentException.class, () -> new NcclVersion(2, 28, -1));
    }
}

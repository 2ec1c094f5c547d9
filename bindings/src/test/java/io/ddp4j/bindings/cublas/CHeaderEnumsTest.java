package io.ddp4j.bindings.cublas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The header reader the constant checks rely on, on text written the way NVIDIA's headers are. */
class CHeaderEnumsTest {

    @Test
    void readsLiteralsImplicitSuccessorsReferencesAndOperators() {
        var e = new CHeaderEnums().parse("""
                /* a comment with enum { NOT = 99 } inside */
                typedef enum {
                  A_ZERO,            // implicit 0
                  A_FIVE = 5,
                  A_SIX,
                  A_HEX = 0x10U,
                #if defined(SOMETHING)
                  A_OR = (A_FIVE | 128),
                #endif
                  A_SHIFT = 1 << 4,
                  A_NEG = -1,
                  A_SUM = A_OR | 16,
                } first_t;
                enum second { B_REF = A_SIX, B_NEXT };
                """).values();
        assertEquals(0L, e.get("A_ZERO"));
        assertEquals(5L, e.get("A_FIVE"));
        assertEquals(6L, e.get("A_SIX"));
        assertEquals(16L, e.get("A_HEX"));
        assertEquals(133L, e.get("A_OR"));
        assertEquals(16L, e.get("A_SHIFT"));
        assertEquals(-1L, e.get("A_NEG"));
        assertEquals(149L, e.get("A_SUM"));
        assertEquals(6L, e.get("B_REF"));
        assertEquals(7L, e.get("B_NEXT"));
        assertEquals(null, e.get("NOT"));
    }

    @Test
    void refusesWhatItCannotRead() {
        assertThrows(IllegalArgumentException.class, () -> new CHeaderEnums().parse("enum { X = UNKNOWN_NAME };"));
        assertThrows(IllegalArgumentException.class, () -> new CHeaderEnums().parse("enum { X = (1 | 2 };"));
    }
}

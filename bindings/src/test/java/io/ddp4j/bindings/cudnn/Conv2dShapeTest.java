package io.ddp4j.bindings.cudnn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Conv2dShapeTest {

    @Test
    void samePaddingKeepsTheSize() {
        Conv2dShape s = Conv2dShape.of(8, 3, 28, 28, 16, 3, 1, 1, 1, 1);
        assertArrayEquals(new int[] {8, 16, 28, 28}, s.outputDims());
        assertArrayEquals(new int[] {16, 3, 3, 3}, s.filterDims());
        assertEquals(8L * 3 * 28 * 28, s.inputElements());
        assertEquals(16L * 27, s.filterElements());
    }

    @Test
    void strideDilationAndGroups() {
        // floor((7 + 2 - 2 - 1) / 2) + 1 = 4
        Conv2dShape strided = Conv2dShape.of(2, 4, 7, 7, 6, 3, 1, 2, 1, 2);
        assertArrayEquals(new int[] {2, 6, 4, 4}, strided.outputDims());
        assertArrayEquals(new int[] {6, 2, 3, 3}, strided.filterDims());
        // dilation 2 makes a 3x3 kernel span 5: 10 - 5 + 1 = 6
        assertEquals(6, Conv2dShape.of(1, 1, 10, 10, 1, 3, 0, 1, 2, 1).outHeight());
        // rectangular everything
        Conv2dShape r = new Conv2dShape(1, 2, 9, 11, 4, 3, 5, 1, 2, 2, 3, 1, 1, 1);
        assertEquals((9 + 2 - 3) / 2 + 1, r.outHeight());
        assertEquals((11 + 4 - 5) / 3 + 1, r.outWidth());
    }

    @Test
    void badShapesAreRejectedWithTheShapeInTheMessage() {
        var groups = assertThrows(IllegalArgumentException.class, () -> Conv2dShape.of(1, 3, 8, 8, 4, 3, 1, 1, 1, 2));
        assertTrue(groups.getMessage().contains("in channels (3) must be divisible by groups (2)"), groups.getMessage());
        assertTrue(groups.getMessage().contains("input 1x3x8x8"), groups.getMessage());
        var outGroups = assertThrows(IllegalArgumentException.class, () -> Conv2dShape.of(1, 4, 8, 8, 3, 3, 1, 1, 1, 2));
        assertTrue(outGroups.getMessage().contains("out channels (3)"), outGroups.getMessage());
        var tooBig = assertThrows(IllegalArgumentException.class, () -> Conv2dShape.of(1, 1, 2, 2, 1, 5, 0, 1, 1, 1));
        assertTrue(tooBig.getMessage().contains("larger than the padded input (2x2)"), tooBig.getMessage());
        var stride = assertThrows(IllegalArgumentException.class, () -> Conv2dShape.of(1, 1, 8, 8, 1, 3, 1, 0, 1, 1));
        assertTrue(stride.getMessage().contains("stride height must be positive, got 0"), stride.getMessage());
        var pad = assertThrows(IllegalArgumentException.class, () -> Conv2dShape.of(1, 1, 8, 8, 1, 3, -1, 1, 1, 1));
        assertTrue(pad.getMessage().contains("padding height must not be negative, got -1"), pad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Conv2dShape.of(0, 1, 8, 8, 1, 3, 1, 1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> Conv2dShape.of(1, 1, 8, 8, 1, 3, 1, 1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> Conv2dShape.of(1, 1, 8, 8, 1, 3, 1, 1, 1, 0));
    }

    @Test
    void paddingCanMakeASmallInputValid() {
        // a 3x3 kernel on a 1x1 input needs padding 1 to have an output
        assertArrayEquals(new int[] {1, 1, 1, 1}, Conv2dShape.of(1, 1, 1, 1, 1, 3, 1, 1, 1, 1).outputDims());
    }
}

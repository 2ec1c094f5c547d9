package io.ddp4j.tensor;

import io.ddp4j.tensor.memory.LeakDetection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ScopeAndLeakTest {

    @AfterEach
    void restoreLeakDetection() {
        LeakDetection.setLevel(LeakDetection.Level.OFF);
        LeakDetection.setReporter(null);
    }

    @Test
    void closingAScopeFreesEverythingMadeInsideIt() {
        Tensor a, b, view;
        try (Scope scope = Scope.open()) {
            a = Tensor.ones(2, 3);
            b = a.add(1);
            view = b.transpose(0, 1);
            assertEquals(3, scope.ownedCount());
        }
        for (Tensor t : List.of(a, b, view)) assertTrue(t.isClosed());
        assertTrue(a.storage().isFreed());
        assertTrue(b.storage().isFreed(), "the view and its base both released the shared storage");
    }

    @Test
    void keptTensorsSurviveTheirScope() {
        Tensor kept, base;
        try (Scope scope = Scope.open()) {
            base = Tensor.fromArray(new float[]{1, 2, 3, 4}, 2, 2);
            kept = base.transpose(0, 1).keep();
            assertEquals(1, scope.ownedCount());
        }
        assertTrue(base.isClosed());
        assertFalse(kept.isClosed());
        assertFalse(kept.storage().isFreed(), "a kept view holds its own reference to the base's storage");
        assertArrayEquals(new float[]{1, 3, 2, 4}, kept.contiguous().toFloatArray());
        kept.close();
        assertTrue(kept.storage().isFreed());
    }

    @Test
    void nestedScopesAndTensorsOutsideAnyScope() {
        Tensor outside = Tensor.zeros(2);
        Tensor inner;
        Scope outer = Scope.open();
        Scope nested = Scope.open();
        inner = Tensor.zeros(2);
        outer.close(); // closing the outer scope closes the one still open inside it
        assertTrue(nested.isClosed());
        assertTrue(inner.isClosed());
        assertFalse(outside.isClosed(), "a tensor made outside every scope belongs to none");
        outside.close();
        assertTrue(outside.isClosed());
    }

    @Test
    void closingTwiceIsHarmless() {
        Tensor t = Tensor.ones(3);
        t.close();
        assertDoesNotThrow(t::close);
        Scope s = Scope.open();
        Tensor u = Tensor.ones(3);
        u.close();
        s.close();
        assertDoesNotThrow(s::close);
        assertTrue(u.storage().isFreed());
    }

    @Test
    void aClosedTensorCannotBeUsed() {
        Tensor t = Tensor.ones(2, 2);
        Tensor other = Tensor.ones(2, 2);
        t.close();
        IllegalStateException add = assertThrows(IllegalStateException.class, () -> other.add(t));
        assertTrue(add.getMessage().startsWith("add:") && add.getMessage().contains("operand 1") && add.getMessage().contains("closed"), add.getMessage());
        IllegalStateException read = assertThrows(IllegalStateException.class, t::toFloatArray);
        assertTrue(read.getMessage().startsWith("toFloatArray:"), read.getMessage());
        IllegalStateException view = assertThrows(IllegalStateException.class, () -> t.reshape(4));
        assertTrue(view.getMessage().startsWith("reshape:"), view.getMessage());
        IllegalStateException matmul = assertThrows(IllegalStateException.class, () -> t.matmul(other));
        assertTrue(matmul.getMessage().startsWith("matmul:"), matmul.getMessage());
        other.close();
    }

    /** Makes a tensor and drops it without closing it. */
    private static void leakOne() {
        Tensor.zeros(DType.F32, 7, 5);
    }

    private static LeakDetection.Leak awaitLeak(List<LeakDetection.Leak> leaks) throws InterruptedException {
        for (int i = 0; i < 200 && leaks.isEmpty(); i++) {
            System.gc();
            Thread.sleep(25);
        }
        assertFalse(leaks.isEmpty(), "the Cleaner reported no leak within 5 s");
        return leaks.get(0);
    }

    @Test
    void paranoidLeakDetectionSaysWhereTheLeakedTensorWasMade() throws InterruptedException {
        List<LeakDetection.Leak> leaks = new CopyOnWriteArrayList<>();
        LeakDetection.setReporter(leaks::add);
        LeakDetection.setLevel(LeakDetection.Level.PARANOID);
        leakOne();
        LeakDetection.Leak leak = awaitLeak(leaks);
        assertTrue(leak.description().contains("float32[7, 5]"), leak.description());
        assertNotNull(leak.allocationSite());
        boolean madeInLeakOne = false;
        for (StackTraceElement e : leak.allocationSite().getStackTrace()) madeInLeakOne |= e.getMethodName().equals("leakOne");
        assertTrue(madeInLeakOne, "the allocation site names the method that made the tensor");
    }

    @Test
    void simpleLeakDetectionReportsWithoutRecordingStacks() throws InterruptedException {
        List<LeakDetection.Leak> leaks = new CopyOnWriteArrayList<>();
        LeakDetection.setReporter(leaks::add);
        LeakDetection.setLevel(LeakDetection.Level.SIMPLE);
        leakOne();
        LeakDetection.Leak leak = awaitLeak(leaks);
        assertNull(leak.allocationSite());
        assertTrue(leak.toString().contains("paranoid"), leak.toString());
    }
}

package io.ddp4j.tensor.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ddp4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EngineCallbackTest {

    @Test
    void aCallbackQueuedFromAHookRunsOnceAfterEveryGradientIsFinal() {
        Tensor w1 = Tensor.fromArray(new float[] {1, 2}, 2).setRequiresGrad(true);
        Tensor w2 = Tensor.fromArray(new float[] {3, 4}, 2).setRequiresGrad(true);
        List<String> log = new ArrayList<>();
        w2.registerGradReadyHook(g -> {
            log.add("ready w2");
            Engine.queueCallback(() -> log.add("end of backward: w1.grad=" + w1.grad().toFloatArray()[0]));
        });
        w1.registerGradReadyHook(g -> log.add("ready w1"));
        w1.mul(w2).sum().backward();
        assertEquals(3, log.size(), log.toString());
        assertTrue(log.containsAll(List.of("ready w1", "ready w2")), log.toString());
        assertEquals("end of backward: w1.grad=3.0", log.get(2), "the callback runs after both gradients, with their final values");
    }

    @Test
    void callbacksRunInQueueOrderAndMayQueueMore() {
        Tensor w = Tensor.fromArray(new float[] {1}, 1).setRequiresGrad(true);
        List<Integer> order = new ArrayList<>();
        w.registerGradReadyHook(g -> {
            Engine.queueCallback(() -> {
                order.add(1);
                Engine.queueCallback(() -> order.add(3));
            });
            Engine.queueCallback(() -> order.add(2));
        });
        w.mul(2.0).sum().backward();
        assertEquals(List.of(1, 2, 3), order);
        order.clear();
        w.mul(2.0).sum().backward();
        assertEquals(List.of(1, 2, 3), order, "the queue belonged to that pass: the next one starts empty");
    }

    @Test
    void queueingOutsideABackwardPassIsAnError() {
        var e = assertThrows(IllegalStateException.class, () -> Engine.queueCallback(() -> {}));
        assertTrue(e.getMessage().contains("no backward pass is running"), e.getMessage());
    }

    @Test
    void reachableLeavesAreThoseTheGraphUses() {
        Tensor used = Tensor.fromArray(new float[] {1, 2}, 2).setRequiresGrad(true);
        Tensor unused = Tensor.fromArray(new float[] {5, 6}, 2).setRequiresGrad(true);
        Tensor constant = Tensor.fromArray(new float[] {7, 8}, 2);
        Tensor out = used.mul(constant).relu().sum();
        Set<Tensor> leaves = Engine.reachableLeaves(List.of(out));
        assertTrue(leaves.contains(used));
        assertFalse(leaves.contains(unused));
        assertFalse(leaves.contains(constant));
        assertEquals(1, leaves.size());
    }
}

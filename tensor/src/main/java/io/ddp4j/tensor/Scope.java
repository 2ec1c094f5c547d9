package io.ddp4j.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Owns the tensors made on this thread while it is the innermost open scope, and closes them all
 * when it closes:
 * <pre>{@code
 * try (var scope = Scope.open()) {
 *     Tensor loss = model.forward(x).crossEntropy(y);   // temporaries belong to the scope
 *     loss.backward();
 *     lastLoss = loss.detach().keep();                    // moved out on purpose, survives
 * }                                                       // everything else is freed here
 * }</pre>
 * Tensors made outside every scope belong to none: close them, or the Cleaner frees them (and
 * reports a leak when {@link io.ddp4j.tensor.memory.LeakDetection} is on). Scopes nest per thread;
 * closing an outer scope closes the inner ones still open. Closing twice is harmless.
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<ArrayDeque<Scope>> OPEN = ThreadLocal.withInitial(ArrayDeque::new);

    private final Thread thread = Thread.currentThread();
    private final List<Tensor> tensors = new ArrayList<>();
    private boolean closed;

    private Scope() {}

    /** Opens a scope on this thread; tensors made from now on belong to it until it closes. */
    public static Scope open() {
        Scope s = new Scope();
        OPEN.get().push(s);
        return s;
    }

    /** The innermost open scope of this thread, or null. */
    static Scope current() {
        ArrayDeque<Scope> stack = OPEN.get();
        return stack.peek();
    }

    void adopt(Tensor t) {
        tensors.add(t);
    }

    /** How many tensors this scope still owns (made inside, neither closed nor kept). */
    public int ownedCount() {
        int n = 0;
        for (Tensor t : tensors) if (t.owner() == this && !t.isClosed()) n++;
        return n;
    }

    public boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) return;
        if (Thread.currentThread() != thread)
            throw new IllegalStateException("a Scope must be closed on the thread that opened it (" + thread.getName() + ")");
        ArrayDeque<Scope> stack = OPEN.get();
        while (stack.contains(this)) {
            Scope top = stack.pop();
            top.closeOwnTensors();
        }
        closeOwnTensors();
    }

    private void closeOwnTensors() {
        if (closed) return;
        closed = true;
        for (int i = tensors.size() - 1; i >= 0; i--) {
            Tensor t = tensors.get(i);
            if (t.owner() == this) t.close();
        }
        tensors.clear();
    }
}

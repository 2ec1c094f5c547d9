package io.ddp4j.tensor.memory;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The reference count every storage kind shares: starts at one (its creator's), runs
 * {@code free} once when it reaches zero. Retaining a freed storage is a bug in the caller and
 * throws, so it can never resurrect memory that was given back.
 */
public final class RefCount {
    private final AtomicInteger count = new AtomicInteger(1);
    private final Runnable free;

    public RefCount(Runnable free) {
        this.free = free;
    }

    public void retain(String what) {
        while (true) {
            int c = count.get();
            if (c <= 0) throw new IllegalStateException(what + " was already freed");
            if (count.compareAndSet(c, c + 1)) return;
        }
    }

    public void release() {
        while (true) {
            int c = count.get();
            if (c <= 0) return;
            if (count.compareAndSet(c, c - 1)) {
                if (c == 1) free.run();
                return;
            }
        }
    }

    public boolean isZero() {
        return count.get() <= 0;
    }

    public int get() {
        return Math.max(0, count.get());
    }
}

package io.ddp4j.tensor.autograd;

/**
 * Whether ops on this thread record a graph. {@code try (var g = GradMode.noGrad()) { ... }} turns
 * recording off inside, like {@code torch.no_grad()}, and restores what was there when it closes.
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[]{true});

    private GradMode() {}

    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Restores the previous grad mode when closed. */
    public static final class Guard implements AutoCloseable {
        private final boolean previous;
        private boolean closed;

        private Guard(boolean enabled) {
            boolean[] flag = ENABLED.get();
            previous = flag[0];
            flag[0] = enabled;
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            ENABLED.get()[0] = previous;
        }
    }

    public static Guard noGrad() {
        return new Guard(false);
    }

    public static Guard enableGrad() {
        return new Guard(true);
    }
}

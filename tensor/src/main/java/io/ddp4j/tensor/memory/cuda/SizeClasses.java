package io.ddp4j.tensor.memory.cuda;

/**
 * Rounds a request up to one of a few sizes, so a freed block fits many later requests: multiples
 * of 512 bytes up to 4 KiB, then four steps per power of two (at most 25% more than asked). Blocks
 * are never split, which keeps reuse a map lookup and the waste bounded.
 */
public final class SizeClasses {
    private SizeClasses() {}

    public static final long MIN = 512;

    public static long roundUp(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("cannot allocate a negative size: " + bytes);
        if (bytes <= 4096) return Math.max(MIN, (bytes + MIN - 1) / MIN * MIN);
        long pow = Long.highestOneBit(bytes - 1); // the power of two just below the request
        long step = pow / 4;
        return (bytes + step - 1) / step * step;
    }
}

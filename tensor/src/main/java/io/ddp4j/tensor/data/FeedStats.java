package io.ddp4j.tensor.data;

import io.ddp4j.tensor.backend.PendingUpload;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * Whether data kept up with training, from both sides: how long the consumer thread blocked in
 * {@code next()} for a worker to finish a batch (the host starved), and how long the device's
 * compute stream stood still waiting for a batch's copy (the GPU starved). The second is read off
 * timing events without blocking, so copies whose wait is not known yet are counted as pending
 * and folded in by a later call.
 */
public final class FeedStats {
    /** What a loader has seen so far. */
    public record Snapshot(long batches, long hostWaitNanos, long deviceWaitNanos, long deviceWaitsMeasured,
                           long deviceWaitsPending, long maxDeviceWaitNanos) {
        /** Mean device wait per measured copy, in microseconds. */
        public double meanDeviceWaitMicros() {
            return deviceWaitsMeasured == 0 ? 0 : deviceWaitNanos / 1e3 / deviceWaitsMeasured;
        }
    }

    private final ArrayDeque<PendingUpload> pending = new ArrayDeque<>();
    private long batches, hostWaitNanos, deviceWaitNanos, measured, maxDeviceWait;

    synchronized void batchTaken(long hostWait) {
        batches++;
        hostWaitNanos += hostWait;
    }

    /** Takes ownership of a copy that has been ordered before compute work; closes it once measured. */
    synchronized void track(PendingUpload upload) {
        pending.add(upload);
        collect();
    }

    /** Folds in the waits that are known now; never blocks. */
    synchronized void collect() {
        for (Iterator<PendingUpload> it = pending.iterator(); it.hasNext(); ) {
            PendingUpload u = it.next();
            long w = u.computeWaitNanos();
            if (w < 0) continue;
            deviceWaitNanos += w;
            maxDeviceWait = Math.max(maxDeviceWait, w);
            measured++;
            u.close();
            it.remove();
        }
    }

    public synchronized Snapshot snapshot() {
        collect();
        return new Snapshot(batches, hostWaitNanos, deviceWaitNanos, measured, pending.size(), maxDeviceWait);
    }

    /** Closes copies still unmeasured (the loader is closing). */
    synchronized void release() {
        pending.forEach(PendingUpload::close);
        pending.clear();
    }
}

package io.ddp4j.ddp.reducer;

import io.ddp4j.ddp.pg.ProcessGroup;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;

import java.util.concurrent.CompletableFuture;

/** What a {@link CommHook} may use: the group, the divisor, and the reducer's completion thread. */
public interface CommContext {
    ProcessGroup group();

    /**
     * What a sum must be divided by to average: the group's size (with {@code join}, still the
     * group's size while some ranks have joined, as PyTorch's {@code divide_by_initial_world_size}).
     */
    int divisor();

    /**
     * A future completed once {@code work} has completed and then {@code then} has run, both on the
     * reducer's completion thread (which waits for works in issue order, as they finish); failed
     * with the work's or {@code then}'s failure. {@code then} may be null.
     */
    CompletableFuture<Void> after(Work work, Runnable then);

    /**
     * Memory the reducer owns for this hook's use with one bucket (a copy in another dtype, say):
     * made zero-filled on first use, the same buffer on later calls with the same name and bucket,
     * made again when the dtype, device or size asked for changes, and freed when the reducer
     * closes once no collective still uses it. A hook that allocated for itself could only leave
     * its buffers to the garbage collector.
     */
    BucketBuffer scratch(String name, int bucket, DType dtype, Device device, long numel);
}

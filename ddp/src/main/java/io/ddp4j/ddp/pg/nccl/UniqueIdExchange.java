package io.ddp4j.ddp.pg.nccl;

import io.ddp4j.bindings.nccl.NcclUniqueId;
import io.ddp4j.ddp.DistributedException;
import io.ddp4j.ddp.DistributedTimeoutException;
import io.ddp4j.ddp.Durations;
import io.ddp4j.ddp.store.Store;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Ships the {@code ncclUniqueId} of a new communicator from rank 0 to the other ranks through
 * the group's store: rank 0 makes it and sets it under {@link #key}; the others wait for the key
 * with the group's timeout. When rank 0 cannot make it (no NCCL, no GPU), it stores a failure
 * note instead, so the others fail at once with rank 0's reason rather than at the timeout.
 */
final class UniqueIdExchange {
    private UniqueIdExchange() {}

    static final String KEY_PREFIX = "nccl/unique_id/";
    private static final byte[] FAILURE_MARK = "DDP4J-NCCL-FAILED:".getBytes(StandardCharsets.US_ASCII);

    /** The key for group {@code groupName}; the store given to a group is already private to it (a PrefixStore). */
    static String key(String groupName) {
        return KEY_PREFIX + groupName;
    }

    /**
     * Rank 0: runs {@code make}, publishes the id and returns it (on failure publishes the reason
     * and rethrows). Other ranks: wait up to {@code timeout} for it.
     */
    static NcclUniqueId exchange(Store store, String groupName, int rank, Supplier<NcclUniqueId> make, Duration timeout) {
        String key = key(groupName);
        if (rank == 0) {
            NcclUniqueId id;
            try {
                id = make.get();
            } catch (RuntimeException e) {
                publishFailure(store, groupName, e.getMessage());
                throw e;
            }
            store.set(key, id.toBytes());
            return id;
        }
        byte[] bytes;
        try {
            bytes = store.get(key, timeout);
        } catch (DistributedTimeoutException e) {
            throw new DistributedTimeoutException("rank " + rank + " of nccl group '" + groupName + "' waited " + Durations.format(timeout)
                    + " for rank 0 to publish the NCCL unique id under store key '" + key + "'; is rank 0 running,"
                    + " and did it choose the nccl backend too?", e);
        }
        if (startsWith(bytes, FAILURE_MARK)) {
            String why = new String(bytes, FAILURE_MARK.length, bytes.length - FAILURE_MARK.length, StandardCharsets.UTF_8);
            throw new DistributedException("rank 0 of nccl group '" + groupName + "' could not create the communicator: " + why);
        }
        if (bytes.length != NcclUniqueId.BYTES) {
            throw new DistributedException("store key '" + key + "' holds " + bytes.length + " bytes, not the " + NcclUniqueId.BYTES
                    + " of an ncclUniqueId: another job or group uses the same store and key");
        }
        return NcclUniqueId.fromBytes(bytes);
    }

    /** Rank 0 tells the others why there will be no id (their wait ends at once with this text). */
    static void publishFailure(Store store, String groupName, String why) {
        byte[] text = String.valueOf(why).getBytes(StandardCharsets.UTF_8);
        byte[] value = Arrays.copyOf(FAILURE_MARK, FAILURE_MARK.length + text.length);
        System.arraycopy(text, 0, value, FAILURE_MARK.length, text.length);
        try {
            store.set(key(groupName), value);
        } catch (RuntimeException ignored) {
            // the store itself is gone: the others will time out with their own message
        }
    }

    private static boolean startsWith(byte[] a, byte[] prefix) {
        return a.length >= prefix.length && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
    }
}

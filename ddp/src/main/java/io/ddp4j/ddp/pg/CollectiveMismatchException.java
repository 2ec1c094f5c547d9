package io.ddp4j.ddp.pg;

import java.util.List;

/** Two ranks issued different collectives (op, size, dtype, root) at the same sequence number. */
public class CollectiveMismatchException extends PeerFailureException {
    public CollectiveMismatchException(String message, int otherRank) {
        super(message, List.of(otherRank));
    }

    /** The same mismatch seen by another rank (told by the rank that caught it, or re-raised for a later op). */
    public CollectiveMismatchException(String message, List<Integer> suspectRanks, Throwable cause) {
        super(message, suspectRanks, cause);
    }
}

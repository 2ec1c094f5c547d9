package io.ddp4j.ddp.pg;

import java.util.List;

/** Two ranks issued different collectives (op, size, dtype, root) at the same sequence number. */
public class CollectiveMismatchException extends PeerFailureException {
    public CollectiveMismatchException(String message, int otherRank) {
        super(message, List.of(otherRank));
    }
}

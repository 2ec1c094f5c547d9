package io.ddp4j.ddp.pg;

import io.ddp4j.ddp.DistributedException;

import java.util.List;

/** A collective failed because of other ranks; {@link #suspectRanks()} names the ones to look at. */
public class PeerFailureException extends DistributedException {
    private final List<Integer> suspects;

    public PeerFailureException(String message, List<Integer> suspectRanks) {
        super(message);
        this.suspects = List.copyOf(suspectRanks);
    }

    public PeerFailureException(String message, List<Integer> suspectRanks, Throwable cause) {
        super(message, cause);
        this.suspects = List.copyOf(suspectRanks);
    }

    /** Ranks (in the group) that died, stalled, left or disagreed; the cause to look at first. */
    public List<Integer> suspectRanks() {
        return suspects;
    }
}

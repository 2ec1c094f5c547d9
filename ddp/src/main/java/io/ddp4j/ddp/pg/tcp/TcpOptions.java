package io.ddp4j.ddp.pg.tcp;

import io.ddp4j.ddp.Durations;

import java.time.Duration;

/**
 * Settings of the tcp backend.
 *
 * @param timeout              bound of every wait inside an op, and of connecting the group
 * @param listenAddress        address this rank listens on for its peers (loopback by default)
 * @param segmentBytes         largest frame of a ring step: the pipelining granularity
 * @param directThresholdBytes ops on fewer bytes than this go straight to every peer (all-reduce: recursive doubling)
 * @param ringThresholdBytes   all-reduces from this many bytes up go round the ring; between the two
 *                             thresholds they take recursive halving then doubling (log2 w steps each way)
 */
public record TcpOptions(Duration timeout, String listenAddress, long segmentBytes, long directThresholdBytes, long ringThresholdBytes) {
    public static final long DEFAULT_SEGMENT_BYTES = 1 << 20;
    /**
     * Below this an all-reduce takes log2(w) exchanges of the whole buffer instead of 2(w-1) ring
     * steps; measured with 4 ranks on loopback, 64 KiB took 400 us that way against 650 us round
     * the ring, and 256 KiB about the same either way.
     */
    public static final long DEFAULT_DIRECT_THRESHOLD_BYTES = 256 * 1024;
    /**
     * Below this an all-reduce moves the same bytes as the ring in 2 log2(w) steps instead of
     * 2(w-1): fewer rounds in which every rank must get a core. Measured with 4 ranks on loopback
     * (busbw GB/s, five runs each, ring vs halving-doubling): 4 MiB 0.52 vs 0.59 on average,
     * 16 MiB about the same, 64 MiB 0.71 vs 0.67; so the ring from 16 MiB up.
     */
    public static final long DEFAULT_RING_THRESHOLD_BYTES = 16L << 20;

    public TcpOptions {
        Durations.requirePositive(timeout, "process group timeout");
        if (listenAddress == null || listenAddress.isBlank()) listenAddress = "127.0.0.1";
        if (segmentBytes < 8 || segmentBytes > Frame.MAX_PAYLOAD) {
            throw new IllegalArgumentException("segmentBytes must be in 8.." + Frame.MAX_PAYLOAD + ", got " + segmentBytes);
        }
        if (directThresholdBytes < 0 || directThresholdBytes > segmentBytes) {
            // a direct op sends its whole buffer in one frame
            throw new IllegalArgumentException("directThresholdBytes must be in 0..segmentBytes (" + segmentBytes + "), got " + directThresholdBytes);
        }
        if (ringThresholdBytes < directThresholdBytes) {
            throw new IllegalArgumentException("ringThresholdBytes (" + ringThresholdBytes + ") must be at least directThresholdBytes (" + directThresholdBytes + ")");
        }
    }

    public static TcpOptions defaults(Duration timeout) {
        return new TcpOptions(timeout, "127.0.0.1", DEFAULT_SEGMENT_BYTES, DEFAULT_DIRECT_THRESHOLD_BYTES, DEFAULT_RING_THRESHOLD_BYTES);
    }

    public TcpOptions withListenAddress(String address) {
        return new TcpOptions(timeout, address, segmentBytes, directThresholdBytes, ringThresholdBytes);
    }

    public TcpOptions withSegmentBytes(long bytes) {
        long direct = Math.min(directThresholdBytes, bytes);
        return new TcpOptions(timeout, listenAddress, bytes, direct, Math.max(direct, ringThresholdBytes));
    }

    public TcpOptions withDirectThresholdBytes(long bytes) {
        return new TcpOptions(timeout, listenAddress, segmentBytes, bytes, Math.max(bytes, ringThresholdBytes));
    }

    /** All-reduces of at least {@code bytes} go round the ring; 0 sends every all-reduce from the direct threshold up round it. */
    public TcpOptions withRingThresholdBytes(long bytes) {
        return new TcpOptions(timeout, listenAddress, segmentBytes, directThresholdBytes, Math.max(bytes, directThresholdBytes));
    }
}

package io.ddp4j.bindings.nccl;

/**
 * The settable fields of {@code ncclConfig_t} (NCCL 2.28), with the C names. {@link #UNDEF_INT}
 * ({@code NCCL_CONFIG_UNDEF_INT}) and {@code null} ({@code NCCL_CONFIG_UNDEF_PTR}) mean "NCCL's
 * default", which is what {@link #DEFAULTS}, the Java {@code NCCL_CONFIG_INITIALIZER}, holds in
 * every field. NCCL checks the values itself ({@code ncclInvalidArgument} for, say, blocking = 7),
 * so none are checked here. {@link NcclConfigLayout} writes a config into the C struct.
 *
 * @param blocking            1: calls block until done (NCCL's default); 0: they may return
 *                            {@code ncclInProgress} and the caller polls {@code ncclCommGetAsyncError}
 * @param netName             network plugin to use, e.g. "IB" or "Socket"
 * @param commName            a name NCCL shows in its logs and profiler events
 * @param ctaPolicy           {@code CTAPolicy}: {@code NCCL_CTA_POLICY_*}
 */
public record NcclConfig(
        int blocking, int cgaClusterSize, int minCTAs, int maxCTAs, String netName, int splitShare, int trafficClass,
        String commName, int collnetEnable, int ctaPolicy, int shrinkShare, int nvlsCTAs, int nChannelsPerNetPeer,
        int nvlinkCentricSched) {

    /** {@code NCCL_CONFIG_UNDEF_INT} = {@code INT_MIN}: leave the field to NCCL. */
    public static final int UNDEF_INT = Integer.MIN_VALUE;

    /** {@code NCCL_CTA_POLICY_DEFAULT}, {@code _EFFICIENCY}, {@code _ZERO}. */
    public static final int CTA_POLICY_DEFAULT = 0x00, CTA_POLICY_EFFICIENCY = 0x01, CTA_POLICY_ZERO = 0x02;

    /** What {@code NCCL_CONFIG_INITIALIZER} sets: every field undefined. */
    public static final NcclConfig DEFAULTS = new NcclConfig(UNDEF_INT, UNDEF_INT, UNDEF_INT, UNDEF_INT, null, UNDEF_INT,
            UNDEF_INT, null, UNDEF_INT, UNDEF_INT, UNDEF_INT, UNDEF_INT, UNDEF_INT, UNDEF_INT);

    /**
     * True unless {@code blocking} is 0. What was asked, not what NCCL does: the environment
     * variable {@code NCCL_COMM_BLOCKING} overrides the field, so callers must still accept
     * {@code ncclInProgress} from a communicator made with a blocking config.
     */
    public boolean isBlocking() {
        return blocking != 0;
    }

    /** {@code blocking = 0}: init, collectives and finalize may return before they are done. */
    public NcclConfig nonBlocking() {
        return withBlocking(0);
    }

    public NcclConfig withBlocking(int blocking) {
        return new NcclConfig(blocking, cgaClusterSize, minCTAs, maxCTAs, netName, splitShare, trafficClass, commName,
                collnetEnable, ctaPolicy, shrinkShare, nvlsCTAs, nChannelsPerNetPeer, nvlinkCentricSched);
    }

    public NcclConfig withCtas(int minCTAs, int maxCTAs) {
        return new NcclConfig(blocking, cgaClusterSize, minCTAs, maxCTAs, netName, splitShare, trafficClass, commName,
                collnetEnable, ctaPolicy, shrinkShare, nvlsCTAs, nChannelsPerNetPeer, nvlinkCentricSched);
    }

    public NcclConfig withNetName(String netName) {
        return new NcclConfig(blocking, cgaClusterSize, minCTAs, maxCTAs, netName, splitShare, trafficClass, commName,
                collnetEnable, ctaPolicy, shrinkShare, nvlsCTAs, nChannelsPerNetPeer, nvlinkCentricSched);
    }

    public NcclConfig withCommName(String commName) {
        return new NcclConfig(blocking, cgaClusterSize, minCTAs, maxCTAs, netName, splitShare, trafficClass, commName,
                collnetEnable, ctaPolicy, shrinkShare, nvlsCTAs, nChannelsPerNetPeer, nvlinkCentricSched);
    }

    public NcclConfig withCtaPolicy(int ctaPolicy) {
        return new NcclConfig(blocking, cgaClusterSize, minCTAs, maxCTAs, netName, splitShare, trafficClass, commName,
                collnetEnable, ctaPolicy, shrinkShare, nvlsCTAs, nChannelsPerNetPeer, nvlinkCentricSched);
    }
}

package io.ddp4j.bindings.nccl;

/**
 * An NCCL version as {@code NCCL_VERSION(X, Y, Z)} in nccl.h encodes it: {@code X*1000 + Y*100 + Z}
 * up to 2.8, {@code X*10000 + Y*100 + Z} after (the minor number outgrew one digit), so 2.28.3 is
 * 22803 and 2.8.4 is 2804. {@code ncclGetVersion} and the {@code version} field of
 * {@code ncclConfig_t} both use this code.
 */
public record NcclVersion(int major, int minor, int patch) implements Comparable<NcclVersion> {

    /** The version whose {@code ncclConfig_t} layout {@link NcclConfigLayout} reproduces. */
    public static final NcclVersion HEADERS = new NcclVersion(2, 28, 3);

    public NcclVersion {
        if (major < 0 || minor < 0 || minor > 99 || patch < 0 || patch > 99) {
            throw new IllegalArgumentException("not an NCCL version: " + major + "." + minor + "." + patch);
        }
    }

    /** {@code NCCL_VERSION(major, minor, patch)}. */
    public int code() {
        return major <= 2 && minor <= 8 ? major * 1000 + minor * 100 + patch : major * 10000 + minor * 100 + patch;
    }

    /** The inverse of {@link #code()}. */
    public static NcclVersion decode(int code) {
        if (code <= 0) throw new IllegalArgumentException("not an NCCL version code: " + code);
        // Codes of the old scheme stop at 2899 (2.8.99); every code of the new one is at least 20900.
        if (code < 10000) return new NcclVersion(code / 1000, code % 1000 / 100, code % 100);
        return new NcclVersion(code / 10000, code % 10000 / 100, code % 100);
    }

    @Override
    public int compareTo(NcclVersion o) {
        return Integer.compare(code(), o.code());
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}

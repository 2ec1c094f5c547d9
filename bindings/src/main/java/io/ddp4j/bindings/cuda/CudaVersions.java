package io.ddp4j.bindings.cuda;

/** CUDA's integer versions (1000 * major + 10 * minor) as text. */
public final class CudaVersions {
    private CudaVersions() {}

    /** 13000 becomes "13.0", 12080 "12.8". */
    public static String format(int version) {
        return (version / 1000) + "." + (version % 1000) / 10;
    }
}

package io.ddp4j.bindings.kernel;

/** A {@code __global__} function of the ddp4j fatbin: its name and its {@code cudaKernel_t}. */
public record Kernel(String name, long handle) {
    /** A launch of this kernel with room for {@code argCount} arguments, reusable for every launch. */
    public KernelLaunch launcher(int argCount) {
        return new KernelLaunch(this, argCount);
    }
}

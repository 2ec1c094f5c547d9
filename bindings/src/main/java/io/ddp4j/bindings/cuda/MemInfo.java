package io.ddp4j.bindings.cuda;

/** Free and total memory of a device, in bytes (cudaMemGetInfo). */
public record MemInfo(long free, long total) {}

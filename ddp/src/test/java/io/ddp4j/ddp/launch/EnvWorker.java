package io.ddp4j.ddp.launch;

import io.ddp4j.tensor.backend.cpu.CpuVectorSupport;

/**
 * A worker that prints the environment variables named in its arguments, one {@code NAME=value}
 * line each; the argument {@value #CPU_MATMUL} prints what its cpu matrix products run on instead.
 */
public final class EnvWorker {
    static final String CPU_MATMUL = "cpu-matmul";

    private EnvWorker() {}

    public static void main(String[] args) {
        for (String name : args) {
            System.out.println(name + "=" + (name.equals(CPU_MATMUL) ? CpuVectorSupport.describe() : System.getenv(name)));
        }
    }
}

package io.ddp4j.ddp.launch;

/** A worker that prints the environment variables named in its arguments, one {@code NAME=value} line each. */
public final class EnvWorker {
    private EnvWorker() {}

    public static void main(String[] args) {
        for (String name : args) System.out.println(name + "=" + System.getenv(name));
    }
}

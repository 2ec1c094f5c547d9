package io.ddp4j.ddp.env;

final class Defaults {
    private Defaults() {}

    /** torchrun's default, so a job moved from PyTorch keeps its firewall rules. */
    static final int MASTER_PORT = 29500;
}

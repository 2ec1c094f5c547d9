package io.ddp4j.ddp.env;

import java.util.Map;

/**
 * Nothing detected: a single process, rank 0 of 1, with its store on a free loopback port, so
 * the same training code runs unchanged on a laptop.
 */
public final class SingleProcessEnvironment implements ClusterEnvironment {
    @Override
    public String name() {
        return "single-process";
    }

    @Override
    public boolean detect(Map<String, String> env) {
        return true;
    }

    @Override
    public ClusterInfo read(Map<String, String> env) {
        EnvReader e = new EnvReader(name(), env);
        return new ClusterInfo(name(), 0, 1, 0, 1, 0, 1, e.string("MASTER_ADDR", "127.0.0.1"), e.integer("MASTER_PORT", 0));
    }
}

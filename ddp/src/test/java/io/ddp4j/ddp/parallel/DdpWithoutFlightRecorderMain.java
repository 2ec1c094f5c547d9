package io.ddp4j.ddp.parallel;

import io.ddp4j.tensor.nn.Sequential;

/** DdpFlightRecorderTest's child: two DDP ranks train a few steps in a runtime started without jdk.jfr. */
public final class DdpWithoutFlightRecorderMain {
    private DdpWithoutFlightRecorderMain() {}

    public static void main(String[] args) throws Exception {
        if (ModuleLayer.boot().findModule("jdk.jfr").isPresent()) throw new IllegalStateException("start this with --limit-modules leaving out jdk.jfr");
        Ranks.local(2, DdpFeaturesTest.T, (r, pg) -> {
            Sequential m = Training.model("mlp", 42);
            try (var ddp = DistributedDataParallel.wrap(m, pg, DdpFeaturesTest.SMALL)) {
                Training.train(m, ddp::forward, 4, 16, r * 8, 8, 0.05);
                return null;
            }
        });
        System.out.println("ok: DDP trained without jdk.jfr");
    }
}

package io.ddp4j.ddp.parallel;

import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.Linear;
import io.ddp4j.tensor.nn.Module;

/** Small models with particular graphs, for the reducer's behaviour tests. */
final class Models {
    private Models() {}

    /** Three Linear(8, 8) registered l0, l1, l2 but applied l2, l1, l0: gradients become ready in registration order. */
    static final class Reversed extends Module {
        Reversed(long seed) {
            Generator g = new Generator(seed);
            registerModule("l0", new Linear(8, 8, true, g));
            registerModule("l1", new Linear(8, 8, true, g));
            registerModule("l2", new Linear(8, 8, true, g));
        }

        @Override
        public Tensor forward(Tensor x) {
            var c = namedChildren();
            return c.get("l0").forward(c.get("l1").forward(c.get("l2").forward(x).relu()).relu());
        }
    }

    /** "used" feeds the output, "unused" never does. */
    static final class TwoHeads extends Module {
        TwoHeads(long seed, int hidden) {
            Generator g = new Generator(seed);
            registerModule("used", new Linear(8, hidden, true, g));
            registerModule("unused", new Linear(8, hidden, true, g));
        }

        @Override
        public Tensor forward(Tensor x) {
            return namedChildren().get("used").forward(x);
        }
    }

    static Tensor input(long seed, int rows) {
        java.util.Random r = new java.util.Random(seed);
        float[] v = new float[rows * 8];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.fromArray(v, rows, 8);
    }
}

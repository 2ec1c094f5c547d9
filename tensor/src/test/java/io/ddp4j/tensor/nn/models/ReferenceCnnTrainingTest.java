package io.ddp4j.tensor.nn.models;

import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Scope;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.nn.CrossEntropyLoss;
import io.ddp4j.tensor.nn.Sequential;
import io.ddp4j.tensor.optim.SGD;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batch-norm CNN trains end to end (convolutions, batch norm, pooling, linear layers, all
 * their backwards): on one small fixed batch of noise images with arbitrary labels, a few SGD
 * steps must drive the loss well below its start, which only works if every layer gets the right
 * gradient. A full epoch is out of reach of the CPU convolution for a unit test.
 */
class ReferenceCnnTrainingTest {

    @Test
    void theBatchNormCnnFitsASmallBatch() {
        try (Sequential cnn = ReferenceModels.cnnBatchNorm(new Generator(0));
             SGD sgd = new SGD(cnn.parameters(), SGD.options().lr(0.02).momentum(0.9));
             Scope data = Scope.open()) {
            Tensor images = Tensor.rand(new Generator(1), 4, 1, 28, 28);
            Tensor labels = Tensor.fromArray(new long[]{0, 3, 5, 9});
            CrossEntropyLoss criterion = new CrossEntropyLoss();
            double first = Double.NaN, last = Double.NaN;
            for (int step = 0; step < 5; step++) {
                try (Scope s = Scope.open()) {
                    Tensor loss = criterion.forward(cnn.forward(images), labels);
                    sgd.zeroGrad();
                    loss.backward();
                    sgd.step();
                    last = loss.item();
                    if (step == 0) first = last;
                }
            }
            assertTrue(first > 1.9, "starts near ln(10): " + first);
            assertTrue(last < first / 4, "loss " + first + " -> " + last);
        }
    }
}

package io.ddp4j.tensor;

import io.ddp4j.tensor.backend.Conv2dParams;
import io.ddp4j.tensor.nn.Functional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** conv2d, pooling, batch norm, softmax and cross entropy on inputs small enough to work out by hand. */
@ExtendWith(ScopePerTest.class)
class NnOpsTest {
    /** 1..9 as a [1, 1, 3, 3] image. */
    private static Tensor oneToNine() {
        return Tensor.arange(1, 10, 1, DType.F64).reshape(1, 1, 3, 3);
    }

    @Test
    void conv2dComputesWindowsTimesKernel() {
        // kernel [[1, 0], [0, -1]]: each output is x[i][j] - x[i+1][j+1] = -4
        Tensor w = Tensor.fromArray(new double[]{1, 0, 0, -1}, 1, 1, 2, 2);
        assertArrayEquals(new double[]{-4, -4, -4, -4}, Functional.conv2d(oneToNine(), w, null, 1, 0).toDoubleArray());
        Tensor b = Tensor.fromArray(new double[]{0.5});
        assertArrayEquals(new double[]{-3.5, -3.5, -3.5, -3.5}, Functional.conv2d(oneToNine(), w, b, 1, 0).toDoubleArray());
        // padding 1, stride 2: windows start at (-1,-1), (-1,1), (1,-1), (1,1); out-of-image values are 0
        assertArrayEquals(new double[]{-1, -3, -7, -4}, Functional.conv2d(oneToNine(), w, null, 2, 1).toDoubleArray());
        // dilation 2 with a 2x2 kernel reaches the corners: x[0][0] - x[2][2]
        assertArrayEquals(new double[]{-8}, Functional.conv2d(oneToNine(), w, null, 1, 0, 2, 1).toDoubleArray());
    }

    @Test
    void groupedConvolutionKeepsChannelsApart() {
        Tensor x = Tensor.fromArray(new double[]{1, 2, 3, 4, 10, 20, 30, 40}, 1, 2, 2, 2);
        Tensor w = Tensor.fromArray(new double[]{2, 3}, 2, 1, 1, 1);
        Tensor y = Functional.conv2d(x, w, null, new Conv2dParams(1, 1, 0, 0, 1, 1, 2));
        assertArrayEquals(new double[]{2, 4, 6, 8, 30, 60, 90, 120}, y.toDoubleArray());
    }

    @Test
    void maxAndAveragePooling() {
        Tensor x = Tensor.arange(0, 16, 1, DType.F64).reshape(1, 1, 4, 4);
        assertArrayEquals(new double[]{5, 7, 13, 15}, Functional.maxPool2d(x, 2, 2, 0).toDoubleArray());
        assertArrayEquals(new double[]{2.5, 4.5, 10.5, 12.5}, Functional.avgPool2d(x, 2, 2, 0).toDoubleArray());
        assertArrayEquals(new double[]{5, 7, 13, 15}, Functional.maxPool2d(x, 3, 2, 1).toDoubleArray());
        // average pooling counts the padding in the divisor (PyTorch's count_include_pad=True)
        assertArrayEquals(new double[]{1 / 4.0, 5 / 4.0, 11 / 4.0, 28 / 4.0}, Functional.avgPool2d(oneToNine(), 2, 2, 1).toDoubleArray());
    }

    @Test
    void maxPoolingSendsTheGradientToTheMaximum() {
        Tensor x = Tensor.fromArray(new double[]{1, 9, 2, 3}, 1, 1, 2, 2).setRequiresGrad(true);
        Functional.maxPool2d(x, 2, 2, 0).sum().backward();
        assertArrayEquals(new double[]{0, 1, 0, 0}, x.grad().toDoubleArray());
    }

    @Test
    void batchNormTrainingNormalisesAndUpdatesRunningStats() {
        Tensor x = Tensor.fromArray(new double[]{1, 2, 3, 4}, 4, 1);
        Tensor runMean = Tensor.zeros(DType.F64, 1), runVar = Tensor.ones(DType.F64, 1);
        Tensor w = Tensor.fromArray(new double[]{2}), b = Tensor.fromArray(new double[]{1});
        Tensor y = Functional.batchNorm(x, runMean, runVar, w, b, true, 0.1, 0);
        double sd = Math.sqrt(1.25); // biased variance of 1..4
        assertArrayEquals(new double[]{2 * -1.5 / sd + 1, 2 * -0.5 / sd + 1, 2 * 0.5 / sd + 1, 2 * 1.5 / sd + 1}, y.toDoubleArray(), 1e-12);
        assertArrayEquals(new double[]{0.25}, runMean.toDoubleArray(), 1e-12);
        assertArrayEquals(new double[]{0.9 + 0.1 * 5.0 / 3}, runVar.toDoubleArray(), 1e-12, "running variance is unbiased");

        Tensor eval = Functional.batchNorm(x, runMean, runVar, null, null, false, 0.1, 1e-5);
        double rv = Math.sqrt(0.9 + 0.1 * 5.0 / 3 + 1e-5);
        assertArrayEquals(new double[]{0.75 / rv, 1.75 / rv, 2.75 / rv, 3.75 / rv}, eval.toDoubleArray(), 1e-12);
    }

    @Test
    void softmaxRowsSumToOne() {
        Tensor x = Tensor.fromArray(new double[]{0, Math.log(3), 1000, 1000}, 2, 2);
        assertArrayEquals(new double[]{0.25, 0.75, 0.5, 0.5}, x.softmax(1).toDoubleArray(), 1e-15);
        assertArrayEquals(new double[]{Math.log(0.25), Math.log(0.75), Math.log(0.5), Math.log(0.5)}, x.logSoftmax(1).toDoubleArray(), 1e-12);
    }

    @Test
    void crossEntropyWithLabelSmoothingAndItsGradient() {
        // rows give probabilities (0.75, 0.25) and (0.25, 0.75); each row's target is its likely class
        Tensor logits = Tensor.fromArray(new double[]{Math.log(3), 0, 0, Math.log(3)}, 2, 2).setRequiresGrad(true);
        Tensor targets = Tensor.fromArray(new long[]{0, 1});
        double plain = -Math.log(0.75);
        assertEquals(plain, Functional.crossEntropy(logits, targets).item(), 1e-12);
        // target distribution 0.9 / 0.1 with smoothing 0.2 over 2 classes
        double smoothed = -0.9 * Math.log(0.75) - 0.1 * Math.log(0.25);
        Tensor loss = Functional.crossEntropy(logits, targets, 0.2);
        assertEquals(smoothed, loss.item(), 1e-12);
        loss.backward();
        // (p - q) / N: (0.75 - 0.9) / 2 and (0.25 - 0.1) / 2
        assertArrayEquals(new double[]{-0.075, 0.075, 0.075, -0.075}, logits.grad().toDoubleArray(), 1e-12);
        // the fused op agrees with the composed log_softmax formula
        Tensor composed = logits.logSoftmax(1).mul(Tensor.fromArray(new double[]{0.9, 0.1, 0.1, 0.9}, 2, 2)).sum().neg().div(2);
        assertEquals(composed.item(), loss.item(), 1e-12);
    }
}

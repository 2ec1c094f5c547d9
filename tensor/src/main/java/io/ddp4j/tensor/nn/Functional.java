package io.ddp4j.tensor.nn;

import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Conv2dParams;
import io.ddp4j.tensor.backend.Pool2dParams;
import io.ddp4j.tensor.ops.Convolution;
import io.ddp4j.tensor.ops.Dropout;
import io.ddp4j.tensor.ops.Indexing;
import io.ddp4j.tensor.ops.LinearAlgebra;
import io.ddp4j.tensor.ops.Losses;
import io.ddp4j.tensor.ops.Normalization;
import io.ddp4j.tensor.ops.Pooling;
import io.ddp4j.tensor.ops.Softmax;

import java.util.List;

/** The nn-level ops, PyTorch's torch.nn.functional under Java names. */
public final class Functional {
    private Functional() {}

    /** x W^T + b; weight [out, in], bias [out] or null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        return LinearAlgebra.linear(x, weight, bias);
    }

    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
        return Convolution.conv2d(x, weight, bias, new Conv2dParams(stride, stride, padding, padding, 1, 1, 1));
    }

    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding, int dilation, int groups) {
        return Convolution.conv2d(x, weight, bias, new Conv2dParams(stride, stride, padding, padding, dilation, dilation, groups));
    }

    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, Conv2dParams params) {
        return Convolution.conv2d(x, weight, bias, params);
    }

    /** Square kernel; stride defaults to the kernel size in PyTorch, pass it explicitly here. */
    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        return Pooling.maxPool2d(x, new Pool2dParams(kernel, kernel, stride, stride, padding, padding));
    }

    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        return Pooling.avgPool2d(x, new Pool2dParams(kernel, kernel, stride, stride, padding, padding));
    }

    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, double momentum, double eps) {
        return Normalization.batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    public static Tensor gelu(Tensor x) {
        return x.gelu();
    }

    public static Tensor softmax(Tensor x, int dim) {
        return Softmax.softmax(x, dim);
    }

    public static Tensor logSoftmax(Tensor x, int dim) {
        return Softmax.logSoftmax(x, dim);
    }

    /** Mean cross entropy of logits [N, C] against int64 classes [N]. */
    public static Tensor crossEntropy(Tensor logits, Tensor targets) {
        return Losses.crossEntropy(logits, targets, 0);
    }

    public static Tensor crossEntropy(Tensor logits, Tensor targets, double labelSmoothing) {
        return Losses.crossEntropy(logits, targets, labelSmoothing);
    }

    public static Tensor dropout(Tensor x, double p, boolean training, Generator gen) {
        return Dropout.dropout(x, p, training, gen);
    }

    public static Tensor cat(List<Tensor> tensors, int dim) {
        return Indexing.cat(tensors, dim);
    }

    public static Tensor stack(List<Tensor> tensors, int dim) {
        return Indexing.stack(tensors, dim);
    }

    public static Tensor indexSelect(Tensor x, int dim, Tensor index) {
        return Indexing.indexSelect(x, dim, index);
    }

    public static Tensor embedding(Tensor indices, Tensor weight) {
        return Indexing.embedding(indices, weight);
    }
}

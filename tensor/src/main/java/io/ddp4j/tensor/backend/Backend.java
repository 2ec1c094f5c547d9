package io.ddp4j.tensor.backend;

import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.memory.Storage;

import java.lang.foreign.MemorySegment;

/**
 * Everything a device must do for the tensor layer. The front end ({@code io.ddp4j.tensor.ops})
 * checks arguments, works out shapes and broadcasting, allocates outputs and records autograd;
 * a backend only computes. Inputs may have any strides (0 for broadcast dims); outputs are
 * allocated by the caller, usually contiguous. A backend may run asynchronously (CUDA enqueues on
 * the current stream) as long as {@link #toHost} returns finished data.
 *
 * <p>The CPU backend is the reference every other backend is tested against.
 */
public interface Backend {

    Device device();

    /**
     * Memory holding one reference for the caller. Its contents are unspecified (the CPU backend
     * zeroes, a caching device allocator need not): the front end fills or overwrites every output.
     */
    Storage allocate(long byteSize);

    /** Copies dense host bytes (row-major, {@code dst}'s dtype) into {@code dst}. */
    void fromHost(MemorySegment src, TensorData dst);

    /**
     * Starts copying dense host bytes into {@code dst} without ordering the copy before compute
     * work yet (see {@link PendingUpload}); {@code src} may be reused as soon as this returns.
     * Backends that copy synchronously do the copy now.
     */
    default PendingUpload uploadAsync(MemorySegment src, TensorData dst) {
        fromHost(src, dst);
        return PendingUpload.DONE;
    }

    /** Copies {@code src} into dense host bytes (row-major, its own dtype); returns when done. */
    void toHost(TensorData src, MemorySegment dst);

    void fill(TensorData out, double value);

    /** out = value, exact in integer dtypes whatever its size (wrapped into narrower ones), rounded once into float ones. */
    void fillInteger(TensorData out, long value);

    /** out = src elementwise, same shape, converting dtype if they differ. */
    void copy(TensorData src, TensorData out);

    void unary(UnaryOp op, TensorData x, TensorData out);

    /** a and b already have out's shape (broadcast dims have stride 0). */
    void binary(BinaryOp op, TensorData a, TensorData b, TensorData out);

    /** out = cond ? a : b, with all three already broadcast to out's shape. */
    void where(TensorData cond, TensorData a, TensorData b, TensorData out);

    /** {@code out} has x's rank with size 1 in every dim of {@code dims} (sorted, distinct). */
    void reduce(ReduceOp op, TensorData x, int[] dims, TensorData out);

    /** Index (I64) of the first maximum along {@code dim}; out has size 1 there. */
    void argmax(TensorData x, int dim, TensorData out);

    /** Batched matrix product: a [B, M, K] times b [B, K, N] into out [B, M, N]. */
    void matmul(TensorData a, TensorData b, TensorData out);

    /** x [N, C, H, W], weight [O, C/groups, kH, kW] into out [N, O, OH, OW]; no bias. */
    void conv2d(TensorData x, TensorData weight, TensorData out, Conv2dParams p);

    void conv2dBackwardInput(TensorData gradOut, TensorData weight, TensorData gradIn, Conv2dParams p);

    void conv2dBackwardWeight(TensorData x, TensorData gradOut, TensorData gradWeight, Conv2dParams p);

    /** Also writes, per output element, the flat h*W+w index of the chosen input element (I64). */
    void maxPool2d(TensorData x, TensorData out, TensorData indices, Pool2dParams p);

    /** gradIn must start zeroed. */
    void maxPool2dBackward(TensorData gradOut, TensorData indices, TensorData gradIn, Pool2dParams p);

    void avgPool2d(TensorData x, TensorData out, Pool2dParams p);

    /** gradIn must start zeroed. */
    void avgPool2dBackward(TensorData gradOut, TensorData gradIn, Pool2dParams p);

    /**
     * Mean cross entropy of logits [N, C] against I64 class indices [N] with label smoothing
     * {@code smoothing}: writes the 0-d loss and the softmax probabilities [N, C] for the backward.
     */
    void crossEntropy(TensorData logits, TensorData targets, double smoothing, TensorData loss, TensorData probs);

    /** gradLogits = gradLoss * (probs - smoothed one-hot) / N; gradLoss is a 0-d tensor. */
    void crossEntropyBackward(TensorData probs, TensorData targets, double smoothing, TensorData gradLoss, TensorData gradLogits);

    /** out = x.index_select(dim, index) with I64 indices already checked to be in range. */
    void indexSelect(TensorData x, int dim, TensorData index, TensorData out);

    /** out.index_add_(dim, index, src): adds src's slices into out's; deterministic on repeated indices. */
    void indexAdd(TensorData out, int dim, TensorData index, TensorData src);

    /** Uniform [0, 1) numbers from Philox4x32-10, element i from counter (offset + i / 4), lane i % 4. */
    void uniform(TensorData out, long seed, long offset);

    /** Standard normal numbers by Box-Muller, element i from counter (offset + i / 2), lanes 2(i%2), 2(i%2)+1. */
    void normal(TensorData out, long seed, long offset);
}

/**
 * Tensors, ops and autograd.
 *
 * <h2>How the pieces fit</h2>
 * <ul>
 *   <li>{@link io.ddp4j.tensor.Tensor}: the user-facing API. Its op methods are one-liners that
 *       delegate to a front-end class in {@code io.ddp4j.tensor.ops} (Elementwise, Reductions,
 *       ViewOps, LinearAlgebra, Convolution, ...), which checks arguments (messages name the op and
 *       the operands), works out shapes and broadcasting, allocates the output, asks the device's
 *       {@link io.ddp4j.tensor.backend.Backend} to compute, and records the op for autograd.</li>
 *   <li>{@code io.ddp4j.tensor.backend}: the {@code Backend} interface is everything a device must
 *       do (allocate, copy, unary/binary/where, reduce, matmul, conv2d, pooling, fused cross entropy,
 *       index_select/index_add, Philox random numbers). The CPU backend is built in and is the
 *       reference. A CUDA backend joins through {@code BackendProvider} (ServiceLoader) and returns
 *       {@link io.ddp4j.tensor.memory.DeviceStorage} from its caching allocator; nothing in the front
 *       end changes.</li>
 *   <li>{@code io.ddp4j.tensor.memory}: reference-counted storages (views share one); leak
 *       detection levels.</li>
 *   <li>{@code io.ddp4j.tensor.autograd}: nodes, the engine (dependency counts, latest op first,
 *       leaf accumulation and grad-ready hooks the moment a leaf's gradient is final),
 *       {@code Autograd.grad} (PyTorch's torch.autograd.grad), higher-order gradients through
 *       createGraph (every rule is written with differentiable ops), the table of backward rules
 *       ({@code Derivatives}) and {@code GradCheck} (first and second order).</li>
 *   <li>{@link io.ddp4j.tensor.Scope}: owns the tensors made inside it on its thread.</li>
 * </ul>
 */
package io.ddp4j.tensor;

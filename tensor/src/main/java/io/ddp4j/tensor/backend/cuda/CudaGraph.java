package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.bindings.cuda.Cudart;
import io.ddp4j.tensor.Device;

/**
 * Work on one device captured once and replayed with a single launch, like PyTorch's
 * {@code torch.cuda.CUDAGraph}: for a small model, where launching dozens of kernels per step
 * costs more host time than the GPU needs to run them, a whole training step becomes one
 * {@code cudaGraphLaunch}.
 *
 * <pre>{@code
 * for (int i = 0; i < 3; i++) step.run();              // warm up: plans, handles, momentum buffers
 * Tensor[] loss = new Tensor[1];
 * try (CudaGraph graph = CudaGraph.capture(cuda, () -> loss[0] = step.runAndKeepLoss())) {
 *     for (...) { input.copy_(nextBatch); graph.replay(); float l = loss[0].item(); }
 * }
 * }</pre>
 *
 * <p>What a replay does is exactly what was enqueued during the capture, on the same addresses:
 * <ul>
 *   <li>Tensors made during the capture (activations, gradients, the loss) keep their memory for
 *       the graph's life (a private pool), and each replay rewrites them; inputs are tensors made
 *       before the capture and refilled between replays by device copies.</li>
 *   <li>Host copies and reads inside the capture are refused with an exception, as is Adam (its
 *       bias corrections change every step); scalars given to kernels, such as SGD's learning
 *       rate, are the captured ones.</li>
 *   <li>Warm up before capturing, so cuBLAS handles, cuDNN plans and optimizer state exist.</li>
 *   <li>The backend's lock is held during the capture: other threads' work on this device waits
 *       for it rather than landing in the graph.</li>
 * </ul>
 */
public final class CudaGraph implements AutoCloseable {
    private final CudaBackend backend;
    private final CudaDevice.Captured captured;
    private final long exec;
    private long replays;
    private boolean closed;

    CudaGraph(CudaBackend backend, CudaDevice.Captured captured, long exec) {
        this.backend = backend;
        this.captured = captured;
        this.exec = exec;
    }

    /** Captures the device work {@code body} enqueues on {@code device}, which must be a cuda device. */
    public static CudaGraph capture(Device device, Runnable body) {
        if (!device.isCuda()) throw new IllegalArgumentException("CUDA graphs capture work on cuda devices, not " + device);
        return CudaBackendProvider.backend(device).captureGraph(body);
    }

    /** Enqueues the whole graph on the device's compute stream; returns at once. */
    public void replay() {
        synchronized (backend) {
            if (closed) throw new IllegalStateException("replay of a closed CUDA graph on " + backend.device());
            backend.launchGraph(exec);
            replays++;
        }
    }

    public long replays() {
        synchronized (backend) {
            return replays;
        }
    }

    /** Bytes of device memory the graph keeps for its tensors. */
    public long poolBytes() {
        return captured.owned().pool().byteCount();
    }

    /** Waits for the last replay, destroys the graph and gives its memory back to the cache. */
    @Override
    public void close() {
        synchronized (backend) {
            if (closed) return;
            closed = true;
            backend.destroyGraph(captured, exec);
        }
    }

    @Override
    public String toString() {
        return "CudaGraph[" + backend.device() + ", " + captured.owned().pool() + ", " + replays + " replays" + (closed ? ", closed]" : "]");
    }
}

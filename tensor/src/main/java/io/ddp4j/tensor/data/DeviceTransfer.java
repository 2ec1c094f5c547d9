package io.ddp4j.tensor.data;

import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.PendingUpload;
import io.ddp4j.tensor.ops.Transfer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A loader's last step on the worker: the collated CPU batch copied to the device. Pinned:
 * asynchronous copies on the copy stream, handed out with the batch (see {@link PendingUpload});
 * not pinned: plain synchronous copies, like PyTorch's {@code .to(device)} from pageable memory.
 * The CPU batch is freed once its bytes are staged.
 */
final class DeviceTransfer implements Function<Batch, Batch> {
    private final Device device;
    private final boolean pinned;

    DeviceTransfer(Device device, boolean pinned) {
        this.device = device;
        this.pinned = pinned;
    }

    @Override
    public Batch apply(Batch host) {
        List<Tensor> out = new ArrayList<>();
        List<PendingUpload> uploads = new ArrayList<>();
        try (host) {
            for (Tensor t : host.tensors()) {
                if (pinned) {
                    Transfer.DeviceCopy c = Transfer.toDeviceAsync(t, device);
                    out.add(c.tensor().keep());
                    uploads.add(c.upload());
                } else {
                    out.add(t.to(device).keep());
                }
            }
            return new Batch(out, uploads);
        } catch (RuntimeException e) {
            uploads.forEach(PendingUpload::close);
            out.forEach(Tensor::close);
            throw e;
        }
    }
}

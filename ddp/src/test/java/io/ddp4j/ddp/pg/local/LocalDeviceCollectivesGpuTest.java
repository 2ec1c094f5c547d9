package io.ddp4j.ddp.pg.local;

import io.ddp4j.bindings.cuda.CudaAvailability;
import io.ddp4j.ddp.pg.DeviceBuffer;
import io.ddp4j.ddp.pg.ReduceOp;
import io.ddp4j.ddp.pg.Work;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Generator;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Backends;
import io.ddp4j.tensor.backend.cuda.CudaBackend;
import io.ddp4j.tensor.memory.DeviceStorage;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The local group's collectives over device memory of ranks sharing the one GPU (DataParallel
 * replicas on one device): each rank's result equals the CPU run of the same tensor ops (the host
 * path's bytes, TensorCollectivesTest), and a rank's work orders a stream after it.
 */
@Tag("gpu")
class LocalDeviceCollectivesGpuTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @ParameterizedTest(name = "{0} ranks, {1}, {2}")
    @CsvSource({"3, F32, SUM", "3, F32, AVG", "4, F32, AVG", "3, BF16, AVG", "2, F16, SUM", "3, F64, MAX", "3, F32, PRODUCT"})
    void allReduceOnTheSharedGpuMatchesTheCpu(int size, DType dtype, ReduceOp op) {
        assumeTrue(CudaAvailability.isAvailable(), () -> "no GPU: " + CudaAvailability.whyUnavailable().orElse(""));
        Device cuda = Device.cuda(0);
        List<Tensor> cpu = new ArrayList<>();
        List<Tensor> gpu = new ArrayList<>();
        Generator g = new Generator(21);
        for (int r = 0; r < size; r++) {
            try (Tensor f = Tensor.randn(g, 1000)) {
                Tensor t = f.to(dtype); // f itself when it has the dtype already
                Tensor c = t == f ? copy(f) : t;
                cpu.add(c);
                gpu.add(c.to(cuda));
            }
        }
        List<LocalProcessGroup> groups = LocalProcessGroup.create(size, TIMEOUT);
        try {
            List<Work> works = new ArrayList<>();
            for (int r = 0; r < size; r++) works.add(groups.get(r).allReduce(buffer(gpu.get(r)), op));
            long stream = ((CudaBackend) Backends.forDevice(cuda)).computeStream();
            for (Work w : works) w.awaitOnStream(stream);
            for (Work w : works) w.await();
            for (Work w : works) assertTrue(w.isSuccess(), w.toString());
            TensorCollectives.allReduce(cpu, op);
            for (int r = 0; r < size; r++) {
                try (Tensor back = gpu.get(r).to(Device.CPU)) {
                    assertArrayEquals(cpu.get(r).toDoubleArray(), back.toDoubleArray(), "rank " + r);
                }
            }
        } finally {
            groups.forEach(LocalProcessGroup::close);
            cpu.forEach(Tensor::close);
            gpu.forEach(Tensor::close);
        }
    }

    private static DeviceBuffer buffer(Tensor t) {
        long address = ((DeviceStorage) t.storage()).address() + t.offset() * t.dtype().byteSize();
        return new DeviceBuffer(address, t.dtype(), t.numel(), t.device().index());
    }

    private static Tensor copy(Tensor t) {
        Tensor c = Tensor.zeros(t.dtype(), (int) t.numel());
        c.copyFrom(t);
        return c;
    }
}

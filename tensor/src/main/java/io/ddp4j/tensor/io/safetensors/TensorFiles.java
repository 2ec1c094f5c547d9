package io.ddp4j.tensor.io.safetensors;

import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.backend.Backends;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named tensors to and from safetensors files: a module's or an optimizer's state dict becomes a
 * checkpoint PyTorch's {@code safetensors.torch.load_file} reads, and back.
 */
public final class TensorFiles {
    private TensorFiles() {}

    /** Writes the tensors (any device, any strides) in map order, atomically. */
    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        // safetensors is little-endian; the backends copy in native order
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN)
            throw new UnsupportedOperationException("saving safetensors needs a little-endian machine");
        List<TensorEntry> entries = new ArrayList<>(tensors.size());
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            if (t.isClosed()) throw new IllegalArgumentException("save " + file + ": tensor '" + e.getKey() + "' is closed");
            byte[] bytes = new byte[Math.toIntExact(t.numel() * t.dtype().byteSize())];
            Backends.forDevice(t.device()).toHost(t.data("save"), MemorySegment.ofArray(bytes));
            long[] shape = new long[t.dim()];
            for (int d = 0; d < shape.length; d++) shape[d] = t.size(d);
            entries.add(new TensorEntry(e.getKey(), t.dtype(), shape, MemorySegment.ofArray(bytes)));
        }
        SafetensorsWriter.write(file, entries, metadata);
    }

    public static void save(Path file, Map<String, Tensor> tensors) {
        save(file, tensors, Map.of());
    }

    /**
     * Reads every tensor of a file into new CPU tensors, in file order. They belong to the scope open
     * on this thread (or to the caller when none is).
     */
    public static Map<String, Tensor> load(Path file) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.read(file)) {
            for (TensorEntry e : f.entries()) {
                long[] s = e.shape();
                int[] shape = new int[s.length];
                for (int d = 0; d < s.length; d++) shape[d] = Math.toIntExact(s[d]);
                Tensor t = Tensor.empty(e.dtype(), Device.CPU, shape);
                Backends.forDevice(Device.CPU).fromHost(e.data(), t.data("load"));
                out.put(e.name(), t);
            }
        }
        return out;
    }
}

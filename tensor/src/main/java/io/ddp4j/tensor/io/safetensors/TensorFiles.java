package io.ddp4j.tensor.io.safetensors;

import io.ddp4j.tensor.Device;
import io.ddp4j.tensor.Tensor;
import io.ddp4j.tensor.memory.CpuStorage;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tensors to and from safetensors files: a state dict written here loads with
 * {@code safetensors.torch.load_file} under the same keys, and a file PyTorch wrote loads back as
 * CPU tensors. Writes are atomic ({@link SafetensorsWriter}).
 */
public final class TensorFiles {
    private TensorFiles() {}

    /** Writes {@code tensors} in their map order (device tensors are copied to the host first). */
    public static void save(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        requireLittleEndian();
        List<Tensor> temporaries = new ArrayList<>();
        try {
            List<TensorEntry> entries = new ArrayList<>();
            for (var e : tensors.entrySet()) {
                Tensor t = e.getValue();
                Tensor host = t.device().isCpu() ? t.contiguous() : t.to(Device.CPU).contiguous();
                if (host != t) temporaries.add(host);
                entries.add(new TensorEntry(e.getKey(), host.dtype(), longs(host.shape()), bytesOf(host)));
            }
            SafetensorsWriter.write(file, entries, metadata);
        } finally {
            for (Tensor t : temporaries) t.close();
        }
    }

    /** {@link #save(Path, Map, Map)} with PyTorch's usual metadata, {"format": "pt"}. */
    public static void save(Path file, Map<String, Tensor> tensors) {
        save(file, tensors, Map.of("format", "pt"));
    }

    /** Every tensor of {@code file} as a CPU tensor of its own (nothing stays mapped), in file order. */
    public static Map<String, Tensor> load(Path file) {
        requireLittleEndian();
        try (SafetensorsFile f = SafetensorsFile.read(file)) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (TensorEntry e : f.entries()) {
                Tensor t = Tensor.empty(e.dtype(), Device.CPU, ints(e.name(), e.shape()));
                MemorySegment.copy(e.data(), 0, bytesOf(t), 0, e.data().byteSize());
                out.put(e.name(), t);
            }
            return out;
        }
    }

    /** The metadata map of {@code file}. */
    public static Map<String, String> metadata(Path file) {
        try (SafetensorsFile f = SafetensorsFile.read(file)) {
            return f.metadata();
        }
    }

    private static MemorySegment bytesOf(Tensor contiguousCpu) {
        CpuStorage s = (CpuStorage) contiguousCpu.storage();
        long size = contiguousCpu.numel() * contiguousCpu.dtype().byteSize();
        return s.segment().asSlice(contiguousCpu.offset() * contiguousCpu.dtype().byteSize(), size);
    }

    private static long[] longs(int[] shape) {
        long[] l = new long[shape.length];
        for (int i = 0; i < shape.length; i++) l[i] = shape[i];
        return l;
    }

    private static int[] ints(String name, long[] shape) {
        int[] s = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor " + name + ": dimension " + shape[i] + " is too large for a ddp4j tensor");
            s[i] = (int) shape[i];
        }
        return s;
    }

    private static void requireLittleEndian() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("safetensors is little-endian; this machine is big-endian");
        }
    }
}

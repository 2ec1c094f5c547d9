package io.ddp4j.tensor.backend.cuda;

import io.ddp4j.bindings.kernel.KernelModule;
import io.ddp4j.tensor.DType;
import io.ddp4j.tensor.backend.BinaryOp;
import io.ddp4j.tensor.backend.ReduceOp;
import io.ddp4j.tensor.backend.UnaryOp;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java side of the tensor kernels against native/kernels: every kernel the backend launches is
 * declared there taking the struct the backend fills, the structs have the slot counts the
 * writers produce, the enum ordinals the kernels switch on match, and (when nvcc built it) the
 * packaged fatbin holds every kernel.
 */
class TensorKernelsTest {
    private static final Path KERNELS = Path.of("..", "native", "kernels");

    private static String sources() throws IOException {
        StringBuilder b = new StringBuilder();
        try (Stream<Path> files = Files.list(KERNELS)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".cu") || f.toString().endsWith(".cuh")).sorted().toList())
                b.append(Files.readString(p)).append('\n');
        }
        return b.toString();
    }

    /** Slots of each struct: each field is 8 bytes, an array [N] takes N (N a number or DDP4J_MAX_RANK). */
    private static Map<String, Integer> structSlots(String src) {
        Map<String, Integer> out = new HashMap<>();
        Matcher m = Pattern.compile("struct\\s+(\\w+)\\s*\\{([^}]*)\\};").matcher(src);
        while (m.find()) {
            String body = m.group(2).replaceAll("//[^\n]*", "");
            int slots = 0;
            for (String decl : body.split(";")) {
                decl = decl.trim();
                if (decl.isEmpty()) continue;
                String[] typeAndNames = decl.split("\\s+", 2);
                String type = typeAndNames[0];
                for (String name : typeAndNames[1].split(",")) {
                    Matcher arr = Pattern.compile("\\[(\\w+)]").matcher(name);
                    int count = 1;
                    if (arr.find()) count = arr.group(1).equals("DDP4J_MAX_RANK") ? Layouts.MAX_RANK : Integer.parseInt(arr.group(1));
                    int per = out.containsKey(type) ? out.get(type) : 1; // a nested struct (Operand) counts its own slots
                    slots += count * per;
                }
            }
            out.put(m.group(1), slots);
        }
        return out;
    }

    @Test
    void everyKernelIsDeclaredWithTheStructTheBackendWrites() throws IOException {
        String src = sources();
        for (TensorKernel k : TensorKernel.values()) {
            Matcher m = Pattern.compile("DDP4J_KERNEL\\s+void\\s+" + k.symbol + "\\s*\\(\\s*(\\w+)\\s+\\w+\\s*\\)").matcher(src);
            assertTrue(m.find(), k.symbol + " is not declared as DDP4J_KERNEL void " + k.symbol + "(Struct p) in " + KERNELS);
            assertEquals(k.struct.cName, m.group(1), k.symbol);
        }
    }

    @Test
    void structSlotCountsMatchTheJavaWriters() throws IOException {
        Map<String, Integer> slots = structSlots(sources());
        assertEquals(10, slots.get("Operand"));
        for (TensorKernel.Struct s : TensorKernel.Struct.values()) {
            assertNotNull(slots.get(s.cName), s.cName + " not found");
            assertEquals(s.slots, slots.get(s.cName), s.cName);
            assertTrue(s.slots * 8 <= StructLaunch.PARAM_BYTES, s.cName);
        }
        assertEquals(Layouts.MAX_RANK, Integer.parseInt(match(sources(), "#define DDP4J_MAX_RANK (\\d+)")));
    }

    private static String match(String src, String regex) {
        Matcher m = Pattern.compile(regex).matcher(src);
        assertTrue(m.find(), regex);
        return m.group(1);
    }

    @Test
    void enumOrdinalsMatchTheKernels() throws IOException {
        String src = sources();
        String[] dtypeNames = {"F32", "F16", "BF16", "F64", "I32", "I64", "U8", "BOOL"};
        for (String n : dtypeNames)
            assertEquals(DType.valueOf(n).ordinal(), Integer.parseInt(match(src, "DT_" + n + " = (\\d+)")), "dtype " + n);
        assertEquals(DType.values().length, dtypeNames.length);
        for (UnaryOp op : UnaryOp.values())
            assertEquals(op.ordinal(), Integer.parseInt(match(src, "#define U_" + op.name() + " (\\d+)")), "unary " + op);
        for (BinaryOp op : BinaryOp.values())
            assertEquals(op.ordinal(), Integer.parseInt(match(src, "#define B_" + op.name() + " (\\d+)")), "binary " + op);
        for (ReduceOp op : ReduceOp.values())
            assertEquals(op.ordinal(), Integer.parseInt(match(src, "#define R_" + op.name() + " (\\d+)")), "reduce " + op);
        assertEquals(TensorKernel.THREADS, Integer.parseInt(match(src, "#define DDP4J_REDUCE_THREADS (\\d+)")));
        assertEquals(TensorKernel.THREADS, Integer.parseInt(match(src, "#define DDP4J_CE_THREADS (\\d+)")));
        assertEquals(KernelErrors.CROSS_ENTROPY_TARGET, Integer.parseInt(match(src, "ddp4j_report\\(\\(long long\\*\\)p\\.aux0, (\\d+), row")));
    }

    @Test
    void thePackagedFatbinHoldsEveryKernel() throws IOException {
        if (!KernelModule.isPackaged()) return; // built without nvcc: nothing packaged to check (the sources test still runs)
        byte[] image;
        try (InputStream in = KernelModule.class.getResourceAsStream(KernelModule.RESOURCE)) {
            image = in.readAllBytes();
        }
        String text = new String(image, StandardCharsets.ISO_8859_1);
        for (TensorKernel k : TensorKernel.values())
            assertTrue(text.contains(".nv.info." + k.symbol + "\0"), k.symbol + " is not in " + KernelModule.RESOURCE);
    }

    @Test
    void kernelErrorsNameTheOpAndTheValue() {
        String m = KernelErrors.describe(io.ddp4j.tensor.Device.cuda(0), KernelErrors.INDEX_SELECT_INDEX, 3, 17, 10);
        assertTrue(m.startsWith("index_select: index 17 at position 3 is out of range for a dim of size 10"), m);
        assertTrue(m.contains("cuda:0"), m);
    }
}

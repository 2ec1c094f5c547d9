package io.ddp4j.tensor;

/**
 * Element types, with PyTorch's names ({@code torch.float32} is {@code F32}, named "float32").
 * The safetensors names are the ones its header uses ("F32", "BF16", ...).
 */
public enum DType {
    F32("float32", "F32", 4, true),
    F16("float16", "F16", 2, true),
    BF16("bfloat16", "BF16", 2, true),
    F64("float64", "F64", 8, true),
    I32("int32", "I32", 4, false),
    I64("int64", "I64", 8, false),
    U8("uint8", "U8", 1, false),
    BOOL("bool", "BOOL", 1, false);

    private final String torchName;
    private final String safetensorsName;
    private final int byteSize;
    private final boolean floatingPoint;

    DType(String torchName, String safetensorsName, int byteSize, boolean floatingPoint) {
        this.torchName = torchName;
        this.safetensorsName = safetensorsName;
        this.byteSize = byteSize;
        this.floatingPoint = floatingPoint;
    }

    /** PyTorch's name without the {@code torch.} prefix, e.g. "bfloat16". */
    public String torchName() {
        return torchName;
    }

    /** The dtype string of a safetensors header, e.g. "BF16". */
    public String safetensorsName() {
        return safetensorsName;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return floatingPoint;
    }

    /** Accepts PyTorch's names ("float32", "torch.bfloat16", "half", "float") and the enum names ("f32"). */
    public static DType parse(String s) {
        String k = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (k.startsWith("torch.")) k = k.substring(6);
        return switch (k) {
            case "f32", "float32", "float" -> F32;
            case "f16", "float16", "half" -> F16;
            case "bf16", "bfloat16" -> BF16;
            case "f64", "float64", "double" -> F64;
            case "i32", "int32", "int" -> I32;
            case "i64", "int64", "long" -> I64;
            case "u8", "uint8" -> U8;
            case "bool" -> BOOL;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "': expected one of float32, float16, bfloat16, float64, int32, int64, uint8, bool");
        };
    }

    @Override
    public String toString() {
        return torchName;
    }
}

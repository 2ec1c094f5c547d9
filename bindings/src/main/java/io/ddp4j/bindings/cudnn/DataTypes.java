package io.ddp4j.bindings.cudnn;

import static io.ddp4j.bindings.cudnn.CudnnConstants.*;

import java.util.Map;

/** What ddp4j knows of each {@code cudnnDataType_t}: its name and element size, for checks and messages. */
public final class DataTypes {
    private DataTypes() {}

    private record Info(String name, int bytes) {}

    private static final Map<Integer, Info> INFO = Map.ofEntries(
            Map.entry(CUDNN_DATA_FLOAT, new Info("CUDNN_DATA_FLOAT", 4)),
            Map.entry(CUDNN_DATA_DOUBLE, new Info("CUDNN_DATA_DOUBLE", 8)),
            Map.entry(CUDNN_DATA_HALF, new Info("CUDNN_DATA_HALF", 2)),
            Map.entry(CUDNN_DATA_INT8, new Info("CUDNN_DATA_INT8", 1)),
            Map.entry(CUDNN_DATA_INT32, new Info("CUDNN_DATA_INT32", 4)),
            Map.entry(CUDNN_DATA_UINT8, new Info("CUDNN_DATA_UINT8", 1)),
            Map.entry(CUDNN_DATA_BFLOAT16, new Info("CUDNN_DATA_BFLOAT16", 2)),
            Map.entry(CUDNN_DATA_INT64, new Info("CUDNN_DATA_INT64", 8)),
            Map.entry(CUDNN_DATA_BOOLEAN, new Info("CUDNN_DATA_BOOLEAN", 1)),
            Map.entry(CUDNN_DATA_FP8_E4M3, new Info("CUDNN_DATA_FP8_E4M3", 1)),
            Map.entry(CUDNN_DATA_FP8_E5M2, new Info("CUDNN_DATA_FP8_E5M2", 1)));

    public static boolean isKnown(int dataType) {
        return INFO.containsKey(dataType);
    }

    /** e.g. "CUDNN_DATA_FLOAT"; an unknown value is shown as a number. */
    public static String name(int dataType) {
        Info i = INFO.get(dataType);
        return i != null ? i.name() : "cudnnDataType(" + dataType + ")";
    }

    /** Bytes per element. */
    public static int size(int dataType) {
        return require(dataType, "size").bytes();
    }

    /** The data types the training ops (convolution, pooling, batch norm) accept here. */
    public static boolean isFloatingPoint(int dataType) {
        return dataType == CUDNN_DATA_FLOAT || dataType == CUDNN_DATA_DOUBLE || dataType == CUDNN_DATA_HALF || dataType == CUDNN_DATA_BFLOAT16;
    }

    static Info require(int dataType, String context) {
        Info i = INFO.get(dataType);
        if (i == null) throw new IllegalArgumentException(context + ": " + dataType + " is not a cudnnDataType_t ddp4j knows (" + INFO.keySet() + ")");
        return i;
    }

    /** Throws unless {@code dataType} is float, double, half or bfloat16. */
    static void requireFloatingPoint(int dataType, String context) {
        if (!isFloatingPoint(dataType)) {
            throw new IllegalArgumentException(context + ": data type " + name(dataType)
                    + " is not one of CUDNN_DATA_FLOAT, CUDNN_DATA_DOUBLE, CUDNN_DATA_HALF, CUDNN_DATA_BFLOAT16");
        }
    }
}

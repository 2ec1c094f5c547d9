package io.ddp4j.tensor;

/** Where a tensor lives: {@code cpu} or {@code cuda:N}. */
public record Device(Type type, int index) {
    public enum Type { CPU, CUDA }

    public static final Device CPU = new Device(Type.CPU, -1);

    public Device {
        if (type == Type.CPU && index != -1) throw new IllegalArgumentException("the cpu device has no index, got " + index);
        if (type == Type.CUDA && index < 0) throw new IllegalArgumentException("a cuda device index must be >= 0, got " + index);
    }

    public static Device cuda(int index) {
        return new Device(Type.CUDA, index);
    }

    public boolean isCuda() {
        return type == Type.CUDA;
    }

    public boolean isCpu() {
        return type == Type.CPU;
    }

    /** Parses "cpu", "cuda" (device 0) and "cuda:N". */
    public static Device parse(String s) {
        String k = s.trim().toLowerCase(java.util.Locale.ROOT);
        if (k.equals("cpu")) return CPU;
        if (k.equals("cuda")) return cuda(0);
        if (k.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(k.substring(5)));
            } catch (NumberFormatException e) {
                // fall through to the message below
            }
        }
        throw new IllegalArgumentException("unknown device '" + s + "': expected cpu, cuda or cuda:N");
    }

    @Override
    public String toString() {
        return type == Type.CPU ? "cpu" : "cuda:" + index;
    }
}

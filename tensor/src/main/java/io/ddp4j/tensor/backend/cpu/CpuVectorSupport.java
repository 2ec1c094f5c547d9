package io.ddp4j.tensor.backend.cpu;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;

/**
 * Whether the cpu backend's vector kernels run: the matrix products ({@link CpuVectorGemm}, else
 * {@link CpuGemm}'s plain loops), the float32 elementwise ops ({@link CpuFloatLane}, else the
 * general path through doubles) and max pooling's interior windows ({@link CpuVectorPool}, else
 * the scalar loop). Each pair gives the same bits, the vector side about two to four times as fast.
 *
 * <p>The Vector API is still an incubator module in JDK 25: a JVM resolves it only when started
 * with {@code --add-modules jdk.incubator.vector} (and then prints a one-line warning that it
 * uses an incubator module). {@code ./ddp4j}, the launcher's workers and the build's tests start
 * with it. Without it, or where it would be slow, the plain loops run:
 * <ul>
 *   <li>a JVM without C2 ({@code -Xint}, {@code -XX:TieredStopAtLevel} below 4) runs vector code
 *       as boxed objects, dozens of times slower than plain loops;</li>
 *   <li>a preferred vector of fewer than 4 doubles gains nothing over the scalar loop.</li>
 * </ul>
 * The system property {@code ddp4j.cpu.vector=false} forces the plain loops.
 */
public final class CpuVectorSupport {
    /** The module that holds the Vector API. */
    public static final String MODULE = "jdk.incubator.vector";
    private static final String reason = decide();
    private static final boolean enabled = reason == null;

    private CpuVectorSupport() {}

    /** True when this JVM's cpu kernels take the Vector API. */
    public static boolean enabled() {
        return enabled;
    }

    /** One line for {@code ddp4j info}: what the cpu kernels run on, and if plain, why. */
    public static String describe() {
        return enabled
                ? "Vector API, " + CpuVectorGemm.lanes() + " doubles per vector"
                : "plain loops (" + reason + ")";
    }

    /**
     * The JVM options that give a child JVM the module when this one has it: empty otherwise, so a
     * parent started without the module does not make its children print the incubator warning.
     * (A child then decides for itself, as this JVM did, whether to use it.)
     */
    public static List<String> childJvmOptions() {
        return hasModule() ? List.of("--add-modules=" + MODULE) : List.of();
    }

    private static boolean hasModule() {
        return ModuleLayer.boot().findModule(MODULE).isPresent();
    }

    /** Null when the Vector API should be used, else why not. */
    private static String decide() {
        if ("false".equalsIgnoreCase(System.getProperty("ddp4j.cpu.vector"))) return "-Dddp4j.cpu.vector=false";
        if (!hasModule()) return "start java with --add-modules " + MODULE + " for the Vector API";
        if (!hasOptimizingCompiler()) return "this JVM runs without C2, where the Vector API is slow";
        if (CpuVectorGemm.lanes() < 4) return "the preferred vector holds " + CpuVectorGemm.lanes() + " doubles";
        return null;
    }

    private static boolean hasOptimizingCompiler() {
        String info = System.getProperty("java.vm.info", "").toLowerCase(Locale.ROOT);
        if (info.contains("interpreted")) return false;
        try {
            for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (arg.startsWith("-XX:TieredStopAtLevel=") && !arg.endsWith("=4")) return false;
                if (arg.equals("-Xint")) return false;
            }
        } catch (RuntimeException | LinkageError e) {
            // no java.management in this runtime: nothing says C2 is off
        }
        return true;
    }
}

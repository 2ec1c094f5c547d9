package io.ddp4j.tensor.memory;

import java.util.Locale;
import java.util.function.Consumer;

/**
 * What happens when a tensor nobody closed is collected. Like Netty's levels:
 * <ul>
 *   <li>{@code OFF} (default): the Cleaner frees the memory quietly; costs one Cleaner registration.</li>
 *   <li>{@code SIMPLE}: also reports the leak with the tensor's dtype and shape; no extra cost.</li>
 *   <li>{@code PARANOID}: records a stack trace for every tensor when it is made, so the report
 *       says where the leaked one came from; slow, for hunting leaks.</li>
 * </ul>
 * Set with {@code -Dddp4j.leakDetection=off|simple|paranoid} or {@link #setLevel}.
 */
public final class LeakDetection {
    public enum Level { OFF, SIMPLE, PARANOID }

    /** One leaked tensor: what it was, and where it was made when the level is PARANOID (else null). */
    public record Leak(String description, Throwable allocationSite) {
        @Override
        public String toString() {
            return "LEAK: " + description + " was not closed before it was garbage collected; close it, "
                    + "or make it inside a Scope" + (allocationSite == null
                    ? " (run with -Dddp4j.leakDetection=paranoid to see where it was made)" : "");
        }
    }

    private static final System.Logger LOG = System.getLogger("io.ddp4j.tensor.leak");
    private static final Consumer<Leak> LOG_REPORTER =
            leak -> LOG.log(System.Logger.Level.WARNING, leak.toString(), leak.allocationSite());

    private static volatile Level level = parse(System.getProperty("ddp4j.leakDetection", "off"));
    private static volatile Consumer<Leak> reporter = LOG_REPORTER;

    private LeakDetection() {}

    public static Level level() {
        return level;
    }

    public static void setLevel(Level newLevel) {
        level = newLevel;
    }

    /** Where leaks go; the default logs a warning on the "io.ddp4j.tensor.leak" System.Logger. */
    public static void setReporter(Consumer<Leak> newReporter) {
        reporter = newReporter == null ? LOG_REPORTER : newReporter;
    }

    /** The allocation site to remember for a new tensor: a Throwable at PARANOID, else null. */
    public static Throwable captureSite() {
        return level == Level.PARANOID ? new Throwable("tensor allocated here") : null;
    }

    public static void report(String description, Throwable site) {
        if (level == Level.OFF) return;
        try {
            reporter.accept(new Leak(description, site));
        } catch (RuntimeException ignored) {
            // a failing reporter must not kill the Cleaner thread
        }
    }

    static Level parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "off", "disabled", "" -> Level.OFF;
            case "simple" -> Level.SIMPLE;
            case "paranoid" -> Level.PARANOID;
            default -> throw new IllegalArgumentException("ddp4j.leakDetection='" + s + "': expected off, simple or paranoid");
        };
    }
}

package io.ddp4j.examples.report;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line training progress display:
 * {@code epoch 1/10 [#####.....] 30000/60000  12,345 samples/s  loss 0.4521}.
 *
 * <p>On a terminal the line is redrawn in place with {@code \r}, at most every
 * {@link #DEFAULT_MIN_INTERVAL_NANOS}; when output goes to a file or pipe, only each epoch's
 * final line is printed, so logs stay readable.
 */
public final class ProgressBar {

    public static final long DEFAULT_MIN_INTERVAL_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean interactive;
    private final int epochs;
    private final long samplesPerEpoch;
    private final int barWidth;
    private final LongSupplier clock;
    private final long minIntervalNanos;
    private long lastDrawn = Long.MIN_VALUE;
    private int lastLength;

    public ProgressBar(PrintStream out, boolean interactive, int epochs, long samplesPerEpoch, int barWidth,
                       LongSupplier clock, long minIntervalNanos) {
        if (epochs < 1 || samplesPerEpoch < 1 || barWidth < 1) {
            throw new IllegalArgumentException("epochs " + epochs + ", samples per epoch " + samplesPerEpoch
                    + " and bar width " + barWidth + " must all be positive");
        }
        this.out = out;
        this.interactive = interactive;
        this.epochs = epochs;
        this.samplesPerEpoch = samplesPerEpoch;
        this.barWidth = barWidth;
        this.clock = clock;
        this.minIntervalNanos = minIntervalNanos;
    }

    /** A 30-character bar on {@code out}, redrawn in place only when the JVM's console is a terminal. */
    public static ProgressBar forConsole(PrintStream out, int epochs, long samplesPerEpoch) {
        Console console = System.console();
        // since JDK 22 System.console() may exist while output is redirected; isTerminal() tells
        boolean terminal = console != null && console.isTerminal();
        return new ProgressBar(out, terminal, epochs, samplesPerEpoch, 30, System::nanoTime, DEFAULT_MIN_INTERVAL_NANOS);
    }

    /** Shows progress within an epoch; does nothing off a terminal or if the last redraw was too recent. */
    public void update(int epoch, long samplesDone, double samplesPerSecond, double loss) {
        if (!interactive) return;
        long now = clock.getAsLong();
        if (lastDrawn != Long.MIN_VALUE && now - lastDrawn < minIntervalNanos) return;
        lastDrawn = now;
        draw(line(epoch, samplesDone, samplesPerSecond, loss), false);
    }

    /** Prints the epoch's final line and ends it, whether or not output is a terminal. */
    public void finishEpoch(int epoch, long samplesDone, double samplesPerSecond, double loss, String suffix) {
        draw(line(epoch, samplesDone, samplesPerSecond, loss) + suffix, true);
        lastDrawn = Long.MIN_VALUE;
    }

    private void draw(String line, boolean end) {
        StringBuilder b = new StringBuilder();
        if (interactive) b.append('\r');
        b.append(line);
        // on a terminal, blank out what is left of a longer previous line
        if (interactive && line.length() < lastLength) b.append(" ".repeat(lastLength - line.length()));
        if (end) b.append(System.lineSeparator());
        out.print(b);
        out.flush();
        lastLength = end ? 0 : line.length();
    }

    /** The progress line, without any control characters. */
    public String line(int epoch, long samplesDone, double samplesPerSecond, double loss) {
        long done = Math.max(0, Math.min(samplesDone, samplesPerEpoch));
        int filled = (int) (done * barWidth / samplesPerEpoch);
        int digits = Long.toString(samplesPerEpoch).length();
        return String.format(Locale.ROOT, "epoch %d/%d [%s%s] %" + digits + "d/%d  %s samples/s  loss %.4f",
                epoch, epochs, "#".repeat(filled), ".".repeat(barWidth - filled), samplesDone, samplesPerEpoch,
                String.format(Locale.US, "%,d", Math.round(samplesPerSecond)), loss);
    }
}

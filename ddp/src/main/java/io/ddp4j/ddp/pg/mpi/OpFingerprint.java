package io.ddp4j.ddp.pg.mpi;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What a rank believes the next collective is ("allReduce #7 (sum, float32, 1000 elements)"). All
 * ranks all-gather it, as a fixed-size text, before the collective itself, so a rank that called
 * something else fails showing both ranks' versions instead of hanging inside MPI.
 */
record OpFingerprint(String text) {
    static final int BYTES = 128;

    static OpFingerprint of(String op, long sequence, String detail) {
        return new OpFingerprint(op + " #" + sequence + " (" + detail + ")");
    }

    void write(MemorySegment s) {
        byte[] b = Arrays.copyOf(text.getBytes(StandardCharsets.UTF_8), BYTES);
        MemorySegment.copy(MemorySegment.ofArray(b), 0, s, 0, BYTES);
    }

    static String read(MemorySegment s) {
        byte[] b = s.asSlice(0, BYTES).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    boolean matches(MemorySegment s) {
        return read(s).equals(text.length() > BYTES ? read(written()) : text);
    }

    private MemorySegment written() {
        MemorySegment s = MemorySegment.ofArray(new byte[BYTES]);
        write(s);
        return s;
    }

    @Override
    public String toString() {
        return text;
    }
}

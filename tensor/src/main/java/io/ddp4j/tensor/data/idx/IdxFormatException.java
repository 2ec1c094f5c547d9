package io.ddp4j.tensor.data.idx;

/** An IDX file that cannot be read as one: the message names the file, the byte offset and what was wrong. */
public final class IdxFormatException extends RuntimeException {
    private final String source;
    private final long offset;

    public IdxFormatException(String source, long offset, String problem) {
        super(source + " at byte " + offset + ": " + problem);
        this.source = source;
        this.offset = offset;
    }

    public IdxFormatException(String source, long offset, String problem, Throwable cause) {
        this(source, offset, problem);
        initCause(cause);
    }

    /** The file (or stream name) that was being read. */
    public String source() {
        return source;
    }

    /** Where in the (decompressed) IDX stream the problem was found. */
    public long offset() {
        return offset;
    }
}

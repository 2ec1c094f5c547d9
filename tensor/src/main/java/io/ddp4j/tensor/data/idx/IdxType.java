package io.ddp4j.tensor.data.idx;

/**
 * The element types an IDX file can declare in the third byte of its magic number.
 * All multi-byte types are stored big-endian in the file.
 */
public enum IdxType {
    UNSIGNED_BYTE(0x08, 1),
    SIGNED_BYTE(0x09, 1),
    SHORT(0x0B, 2),
    INT(0x0C, 4),
    FLOAT(0x0D, 4),
    DOUBLE(0x0E, 8);

    private final int code;
    private final int byteSize;

    IdxType(int code, int byteSize) {
        this.code = code;
        this.byteSize = byteSize;
    }

    /** The type byte of the magic number, e.g. 0x08 for unsigned bytes. */
    public int code() {
        return code;
    }

    public int byteSize() {
        return byteSize;
    }

    /** The type for a magic number's type byte, or an exception naming the file and the byte. */
    static IdxType fromCode(int code, String source) {
        for (IdxType t : values()) {
            if (t.code == code) return t;
        }
        throw new IdxFormatException(source, 2, String.format(
                "unknown element type 0x%02X in the magic number (expected one of 0x08 ubyte, 0x09 byte,"
                        + " 0x0B short, 0x0C int, 0x0D float, 0x0E double)", code));
    }
}

package io.ddp4j.ddp.store;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The TCPStore wire format: big-endian, length-prefixed, never Java serialization.
 *
 * <pre>
 * handshake  client: int MAGIC, short VERSION, bytes token      server: byte status [, string error]
 * request    byte opcode, arguments (below)                      response: byte status, result
 *   SET key value            -> OK
 *   GET key timeoutMs        -> OK value | TIMEOUT
 *   ADD key delta            -> OK long
 *   COMPARE_SET key exp des  -> OK value
 *   DELETE key               -> OK bool
 *   WAIT n key* timeoutMs    -> OK | TIMEOUT n missingKey*
 *   CHECK n key*             -> OK bool
 *   NUM_KEYS                 -> OK long
 * bytes = int length, raw bytes; string = bytes in UTF-8; ERROR carries a string.
 * </pre>
 * Lengths are checked against limits before anything is allocated, so a stray client (or a port
 * scanner) cannot make the server allocate gigabytes.
 */
final class StoreProtocol {
    private StoreProtocol() {}

    static final int MAGIC = 0x44445354; // "DDST"
    static final short VERSION = 1;

    static final byte SET = 1, GET = 2, ADD = 3, COMPARE_SET = 4, DELETE = 5, WAIT = 6, CHECK = 7, NUM_KEYS = 8;
    static final byte OK = 0, TIMEOUT = 1, ERROR = 2;

    static final int MAX_KEY_BYTES = 64 * 1024;
    static final int MAX_VALUE_BYTES = 64 * 1024 * 1024;
    static final int MAX_TOKEN_BYTES = 4096;
    static final int MAX_KEYS = 1 << 20;

    static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    static byte[] readBytes(DataInputStream in, int limit, String what) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > limit) throw new IOException(what + " length " + n + " is outside 0.." + limit + " (not a ddp4j store peer?)");
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    static void writeString(DataOutputStream out, String s) throws IOException {
        writeBytes(out, s.getBytes(StandardCharsets.UTF_8));
    }

    static String readKey(DataInputStream in) throws IOException {
        return new String(readBytes(in, MAX_KEY_BYTES, "key"), StandardCharsets.UTF_8);
    }

    static String readMessage(DataInputStream in) throws IOException {
        return new String(readBytes(in, MAX_VALUE_BYTES, "message"), StandardCharsets.UTF_8);
    }

    static void writeKeys(DataOutputStream out, List<String> keys) throws IOException {
        out.writeInt(keys.size());
        for (String k : keys) writeString(out, k);
    }

    static List<String> readKeys(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_KEYS) throw new IOException("key count " + n + " is outside 0.." + MAX_KEYS);
        List<String> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) keys.add(readKey(in));
        return keys;
    }

    /** Reads one byte, turning end-of-stream into an exception the caller can explain. */
    static byte readStatus(DataInputStream in) throws IOException {
        int b = in.read();
        if (b < 0) throw new EOFException("connection closed");
        return (byte) b;
    }
}

package io.ddp4j.tensor.io.safetensors;

import io.ddp4j.tensor.DType;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON header of a safetensors file, parsed and checked against the format's rules: where
 * each tensor lies in the data buffer and the free-form {@code __metadata__}.
 *
 * @param tensors in data-buffer order (by begin offset)
 */
public record SafetensorsHeader(List<TensorInfo> tensors, Map<String, String> metadata) {

    /** Where one tensor lies: {@code [begin, end)} relative to the start of the data buffer. */
    public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
        public TensorInfo {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    /** The reference implementation refuses headers above 100 MB; so do we, before allocating. */
    public static final long MAX_HEADER_BYTES = 100_000_000;
    public static final String METADATA_KEY = "__metadata__";

    public SafetensorsHeader {
        tensors = List.copyOf(tensors);
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /**
     * Parses and validates a header.
     *
     * @param header the N bytes after the length prefix
     * @param bufferBytes how many bytes follow the header in the file
     * @param source the file name for error messages
     */
    public static SafetensorsHeader parse(byte[] header, long bufferBytes, String source) {
        Object root;
        String text = decodeUtf8(header, source);
        try {
            root = Json.parse(text);
        } catch (JsonException e) {
            long byteOffset = 8 + text.substring(0, Math.min(e.position(), text.length())).getBytes(StandardCharsets.UTF_8).length;
            throw new SafetensorsFormatException(source, "header is not valid JSON: " + e.getMessage()
                    + " (file offset " + byteOffset + ")", e);
        }
        if (!(root instanceof Map<?, ?> entries)) {
            throw new SafetensorsFormatException(source, "header must be a JSON object, found " + kind(root));
        }
        Map<String, String> metadata = Map.of();
        List<TensorInfo> tensors = new ArrayList<>();
        for (Map.Entry<?, ?> e : entries.entrySet()) {
            String key = (String) e.getKey();
            if (key.equals(METADATA_KEY)) {
                metadata = parseMetadata(e.getValue(), source);
            } else {
                tensors.add(parseTensor(key, e.getValue(), source));
            }
        }
        tensors.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        checkTiling(tensors, bufferBytes, source);
        return new SafetensorsHeader(tensors, metadata);
    }

    /**
     * The header for {@code tensors} laid out back to back in the given order, as UTF-8 JSON
     * padded with spaces to a multiple of 8 bytes so the data buffer starts 8-byte aligned.
     */
    public static byte[] encode(List<TensorEntry> tensors, Map<String, String> metadata) {
        StringBuilder json = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            json.append(Json.quote(METADATA_KEY)).append(":{");
            String sep = "";
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                json.append(sep).append(Json.quote(m.getKey())).append(':').append(Json.quote(m.getValue()));
                sep = ",";
            }
            json.append('}');
        }
        long offset = 0;
        for (TensorEntry t : tensors) {
            if (json.length() > 1) json.append(',');
            long end = offset + t.data().byteSize();
            json.append(Json.quote(t.name())).append(":{\"dtype\":").append(Json.quote(t.dtype().safetensorsName()))
                    .append(",\"shape\":").append(Arrays.toString(t.shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        json.append('}');
        byte[] bytes = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (bytes.length + 7) & ~7;
        byte[] out = Arrays.copyOf(bytes, padded);
        Arrays.fill(out, bytes.length, padded, (byte) ' ');
        return out;
    }

    private static String decodeUtf8(byte[] header, String source) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(header);
        CharBuffer out = CharBuffer.allocate(header.length);
        CoderResult r = decoder.decode(in, out, true);
        if (!r.isError()) r = decoder.flush(out);
        if (r.isError()) {
            throw new SafetensorsFormatException(source, "header is not valid UTF-8: bad byte sequence at file offset "
                    + (8 + in.position()));
        }
        return out.flip().toString();
    }

    private static Map<String, String> parseMetadata(Object value, String source) {
        if (!(value instanceof Map<?, ?> map)) {
            throw new SafetensorsFormatException(source, METADATA_KEY + " must be an object of strings, found " + kind(value));
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new SafetensorsFormatException(source, METADATA_KEY + " must map strings to strings, but "
                        + Json.quote((String) e.getKey()) + " has " + kind(e.getValue()));
            }
            metadata.put((String) e.getKey(), s);
        }
        return metadata;
    }

    private static TensorInfo parseTensor(String name, Object value, String source) {
        String what = "tensor " + Json.quote(name);
        if (!(value instanceof Map<?, ?> fields)) {
            throw new SafetensorsFormatException(source, what + " must be an object with dtype, shape and data_offsets, found " + kind(value));
        }
        // other fields are ignored, as the reference implementation does
        if (!(field(fields, "dtype", what, source) instanceof String dtypeName)) {
            throw new SafetensorsFormatException(source, what + ": dtype must be a string, found " + kind(fields.get("dtype")));
        }
        DType dtype = SafetensorsDTypes.parse(dtypeName, name, source);

        List<?> dims = list(field(fields, "shape", what, source), what + ": shape", source);
        long[] shape = new long[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = nonNegativeLong(dims.get(i), what + ": shape " + dims + " has dimension " + i, source);
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(TensorEntry.elementCount(shape), (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new SafetensorsFormatException(source, what + ": shape " + dims + " of " + dtype.safetensorsName()
                    + " has more bytes than a 64-bit size can count");
        }

        List<?> offsets = list(field(fields, "data_offsets", what, source), what + ": data_offsets", source);
        if (offsets.size() != 2) {
            throw new SafetensorsFormatException(source, what + ": data_offsets must be [begin, end], found " + offsets);
        }
        long begin = nonNegativeLong(offsets.get(0), what + ": data_offsets begin", source);
        long end = nonNegativeLong(offsets.get(1), what + ": data_offsets end", source);
        if (end < begin) {
            throw new SafetensorsFormatException(source, what + ": data_offsets " + offsets + " end before they begin");
        }
        if (end - begin != bytes) {
            throw new SafetensorsFormatException(source, what + ": data_offsets " + offsets + " hold " + (end - begin)
                    + " bytes but shape " + dims + " of " + dtype.safetensorsName() + " needs " + bytes);
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    /** Sorted by begin, the tensors must cover the buffer exactly: from 0, no gaps, no overlaps, up to its end. */
    private static void checkTiling(List<TensorInfo> sorted, long bufferBytes, String source) {
        long expected = 0;
        String previous = null;
        for (TensorInfo t : sorted) {
            if (t.begin() != expected) {
                String after = previous == null ? "the data buffer starts at 0" : "the previous tensor " + Json.quote(previous) + " ends at " + expected;
                throw new SafetensorsFormatException(source, "tensor " + Json.quote(t.name()) + " begins at byte " + t.begin()
                        + " of the data buffer but " + after + " (" + (t.begin() > expected ? "gap" : "overlap")
                        + "): tensors must tile the buffer with no gaps or overlaps");
            }
            expected = t.end();
            previous = t.name();
        }
        if (expected != bufferBytes) {
            throw new SafetensorsFormatException(source, "the tensors cover " + expected + " bytes but the data buffer after the header has "
                    + bufferBytes + (expected < bufferBytes ? " (trailing bytes)" : " (file truncated)"));
        }
    }

    private static Object field(Map<?, ?> fields, String key, String what, String source) {
        if (!fields.containsKey(key)) throw new SafetensorsFormatException(source, what + " has no \"" + key + "\"");
        return fields.get(key);
    }

    private static List<?> list(Object value, String what, String source) {
        if (value instanceof List<?> l) return l;
        throw new SafetensorsFormatException(source, what + " must be a list, found " + kind(value));
    }

    private static long nonNegativeLong(Object value, String what, String source) {
        if (value instanceof Long l && l >= 0) return l;
        String found = value instanceof Long || value instanceof BigInteger || value instanceof Double ? value.toString() : kind(value);
        throw new SafetensorsFormatException(source, what + " must be an integer from 0 to " + Long.MAX_VALUE + ", found " + found);
    }

    private static String kind(Object value) {
        return switch (value) {
            case null -> "null";
            case Map<?, ?> m -> "an object";
            case List<?> l -> "a list";
            case String s -> "a string";
            case Boolean b -> "a boolean";
            default -> "a number";
        };
    }
}

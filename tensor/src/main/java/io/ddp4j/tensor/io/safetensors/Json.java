package io.ddp4j.tensor.io.safetensors;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) parser and string quoter, enough for safetensors headers
 * and free of dependencies.
 *
 * <p>Values map to plain Java objects: objects to {@link LinkedHashMap} (keys in file order),
 * arrays to {@link List}, strings to {@link String}, integers to {@link Long} (or
 * {@link BigInteger} when they do not fit), other numbers to {@link Double}, booleans to
 * {@link Boolean} and {@code null} to {@code null}.
 *
 * <p>Unlike many parsers it rejects duplicate keys (two entries for one tensor name would make a
 * file mean different things to different readers), unpaired surrogates, and nesting deeper than
 * {@link #MAX_DEPTH} (so hostile input cannot exhaust the stack).
 */
public final class Json {

    public static final int MAX_DEPTH = 64;

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** Parses a whole document: one value, with only JSON whitespace around it. */
    public static Object parse(String text) {
        Json p = new Json(text);
        p.skipWhitespace();
        Object value = p.value(0);
        p.skipWhitespace();
        if (p.pos < text.length()) throw p.error("unexpected " + p.describe(p.pos) + " after the JSON value");
        return value;
    }

    /** {@code s} as a JSON string literal, quotes included; non-ASCII characters are kept as they are. */
    public static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    private Object value(int depth) {
        if (pos >= text.length()) throw error("unexpected end of input, expected a value");
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth + 1);
            case '[' -> array(depth + 1);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", null);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) yield number();
                throw error("unexpected " + describe(pos) + ", expected a value");
            }
        };
    }

    private Map<String, Object> object(int depth) {
        checkDepth(depth);
        pos++; // '{'
        Map<String, Object> map = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return map;
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') throw error("unexpected " + describe(pos) + ", expected a string key");
            int keyAt = pos;
            String key = string();
            if (map.containsKey(key)) throw new JsonException("duplicate key " + quote(key), keyAt);
            skipWhitespace();
            expect(':');
            skipWhitespace();
            map.put(key, value(depth));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == '}') return map;
            if (c != ',') throw new JsonException("unexpected " + describe(pos - 1) + " in an object, expected ',' or '}'", pos - 1);
        }
    }

    private List<Object> array(int depth) {
        checkDepth(depth);
        pos++; // '['
        List<Object> list = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return list;
        }
        while (true) {
            skipWhitespace();
            list.add(value(depth));
            skipWhitespace();
            char c = peek();
            pos++;
            if (c == ']') return list;
            if (c != ',') throw new JsonException("unexpected " + describe(pos - 1) + " in an array, expected ',' or ']'", pos - 1);
        }
    }

    private String string() {
        int start = pos;
        pos++; // opening quote
        StringBuilder b = new StringBuilder();
        while (true) {
            if (pos >= text.length()) throw new JsonException("unterminated string", start);
            char c = text.charAt(pos++);
            if (c == '"') return b.toString();
            if (c < 0x20) throw new JsonException(String.format("unescaped control character U+%04X in a string", (int) c), pos - 1);
            if (Character.isSurrogate(c)) {
                // a decoded UTF-8 header only has well-formed pairs; check anyway for strings from elsewhere
                if (Character.isHighSurrogate(c) && pos < text.length() && Character.isLowSurrogate(text.charAt(pos))) {
                    b.append(c).append(text.charAt(pos++));
                    continue;
                }
                throw new JsonException("unpaired surrogate in a string", pos - 1);
            }
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (pos >= text.length()) throw new JsonException("unterminated string", start);
            char e = text.charAt(pos++);
            switch (e) {
                case '"' -> b.append('"');
                case '\\' -> b.append('\\');
                case '/' -> b.append('/');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    char u = hex4();
                    if (Character.isHighSurrogate(u)) {
                        if (!text.startsWith("\\u", pos)) throw new JsonException("unpaired surrogate escape", pos - 6);
                        pos += 2;
                        char low = hex4();
                        if (!Character.isLowSurrogate(low)) throw new JsonException("unpaired surrogate escape", pos - 12);
                        b.append(u).append(low);
                    } else if (Character.isLowSurrogate(u)) {
                        throw new JsonException("unpaired surrogate escape", pos - 6);
                    } else {
                        b.append(u);
                    }
                }
                default -> throw new JsonException("invalid escape \\" + e, pos - 2);
            }
        }
    }

    private char hex4() {
        if (pos + 4 > text.length()) throw new JsonException("truncated \\u escape", pos - 2);
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos + i), 16);
            if (d < 0) throw new JsonException("invalid hex digit in \\u escape", pos + i);
            v = v * 16 + d;
        }
        pos += 4;
        return (char) v;
    }

    private Object number() {
        int start = pos;
        if (peek() == '-') pos++;
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) pos++;
        } else {
            throw error("invalid number, expected a digit");
        }
        boolean integral = true;
        if (peek() == '.') {
            integral = false;
            pos++;
            if (!isDigit(peek())) throw error("invalid number, expected a digit after '.'");
            while (isDigit(peek())) pos++;
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            pos++;
            if (peek() == '+' || peek() == '-') pos++;
            if (!isDigit(peek())) throw error("invalid number, expected a digit in the exponent");
            while (isDigit(peek())) pos++;
        }
        String literal = text.substring(start, pos);
        if (!integral) return Double.parseDouble(literal);
        // at most 19 digits always fits a long; longer ones go through BigInteger
        BigInteger big = new BigInteger(literal);
        return big.bitLength() < 64 ? (Object) big.longValue() : big;
    }

    private Object literal(String word, Object value) {
        if (!text.startsWith(word, pos)) throw error("unexpected " + describe(pos) + ", expected a value");
        pos += word.length();
        return value;
    }

    private void checkDepth(int depth) {
        if (depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH + " levels");
    }

    private void expect(char c) {
        if (peek() != c) throw error("unexpected " + describe(pos) + ", expected '" + c + "'");
        pos++;
    }

    /** The current character, or U+0000 at the end (never valid where a structural character is expected). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private String describe(int at) {
        if (at >= text.length()) return "end of input";
        char c = text.charAt(at);
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("character U+%04X", (int) c);
    }

    private JsonException error(String problem) {
        return new JsonException(problem, pos);
    }
}

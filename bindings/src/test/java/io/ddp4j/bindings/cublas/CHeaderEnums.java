package io.ddp4j.bindings.cublas;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the enumerators of C headers (name to value), so tests can hold the bindings' constants
 * against the real headers wherever those are installed. Understands what NVIDIA's headers use in
 * enum bodies: decimal and hex literals, earlier enumerators (also from other headers), implicit
 * successors, parentheses and the operators | + - and <<.
 */
final class CHeaderEnums {
    private final Map<String, Long> values = new LinkedHashMap<>();

    /** Folders where CUDA headers are usually installed, most specific first. */
    static List<Path> includeFolders() {
        List<Path> out = new ArrayList<>();
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String v = System.getenv(var);
            if (v != null && !v.isBlank()) out.add(Path.of(v, "include"));
        }
        out.add(Path.of("/usr/local/cuda/include"));
        out.add(Path.of("/usr/local/cuda-13/include"));
        out.add(Path.of("/usr/include"));
        return out;
    }

    static Optional<Path> find(String header) {
        return includeFolders().stream().map(d -> d.resolve(header)).filter(Files::isRegularFile).findFirst();
    }

    Map<String, Long> values() {
        return values;
    }

    CHeaderEnums read(Path header) throws IOException {
        return parse(Files.readString(header));
    }

    private static final Pattern ENUM = Pattern.compile("\\benum\\b\\s*\\w*\\s*\\{([^}]*)\\}");

    CHeaderEnums parse(String source) {
        String text = source.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ").replaceAll("(?m)^\\s*#.*$", " ");
        Matcher m = ENUM.matcher(text);
        while (m.find()) {
            long next = 0;
            for (String entry : m.group(1).split(",")) {
                String e = entry.trim();
                if (e.isEmpty()) continue;
                int eq = e.indexOf('=');
                String name = (eq < 0 ? e : e.substring(0, eq)).trim();
                long value = eq < 0 ? next : new Expr(e.substring(eq + 1), values).parse();
                values.put(name, value);
                next = value + 1;
            }
        }
        return this;
    }

    /** A recursive-descent evaluator for enum initialisers. */
    private static final class Expr {
        private final String s;
        private final Map<String, Long> known;
        private int pos;

        Expr(String s, Map<String, Long> known) {
            this.s = s.trim();
            this.known = known;
        }

        long parse() {
            long v = or();
            skip();
            if (pos != s.length()) throw new IllegalArgumentException("cannot read enum value '" + s + "'");
            return v;
        }

        private long or() {
            long v = shift();
            while (eat("|")) v |= shift();
            return v;
        }

        private long shift() {
            long v = sum();
            while (eat("<<")) v <<= sum();
            return v;
        }

        private long sum() {
            long v = unary();
            while (true) {
                if (eat("+")) v += unary();
                else if (eat("-")) v -= unary();
                else return v;
            }
        }

        private long unary() {
            if (eat("-")) return -unary();
            if (eat("(")) {
                long v = or();
                if (!eat(")")) throw new IllegalArgumentException("unbalanced parentheses in '" + s + "'");
                return v;
            }
            skip();
            int start = pos;
            while (pos < s.length() && (Character.isLetterOrDigit(s.charAt(pos)) || s.charAt(pos) == '_')) pos++;
            String token = s.substring(start, pos);
            if (token.isEmpty()) throw new IllegalArgumentException("cannot read enum value '" + s + "'");
            if (Character.isDigit(token.charAt(0))) {
                String digits = token.replaceAll("[uUlL]+$", "");
                return digits.startsWith("0x") || digits.startsWith("0X") ? Long.parseLong(digits.substring(2), 16) : Long.parseLong(digits);
            }
            Long v = known.get(token);
            if (v == null) throw new IllegalArgumentException("enum value '" + s + "' names unknown " + token);
            return v;
        }

        private boolean eat(String op) {
            skip();
            if (s.startsWith(op, pos)) {
                pos += op.length();
                return true;
            }
            return false;
        }

        private void skip() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) pos++;
        }
    }
}

package io.ddp4j.ddp.env;

import java.util.ArrayList;
import java.util.List;

/**
 * Expands SLURM's compressed host lists: {@code "node[01-04,07],gpu5"} is node01, node02,
 * node03, node04, node07, gpu5. Zero padding is kept ("[08-10]" gives 08, 09, 10) and several
 * brackets in one name multiply out ("r[1-2]n[1-2]" gives r1n1, r1n2, r2n1, r2n2).
 */
public final class SlurmNodeList {
    private SlurmNodeList() {}

    public static List<String> expand(String list) {
        if (list == null || list.isBlank()) throw new IllegalArgumentException("empty SLURM node list");
        List<String> hosts = new ArrayList<>();
        for (String term : splitTopLevel(list.trim())) hosts.addAll(expandTerm(term, list));
        return hosts;
    }

    public static String firstHost(String list) {
        return expand(list).getFirst();
    }

    /** Splits at commas that are not inside brackets. */
    private static List<String> splitTopLevel(String s) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '[') depth++;
            else if (c == ']') depth--;
            else if (c == ',' && depth == 0) {
                parts.add(s.substring(start, i));
                start = i + 1;
            }
            if (depth < 0 || depth > 1) throw new IllegalArgumentException("malformed SLURM node list '" + s + "' (unbalanced brackets)");
        }
        if (depth != 0) throw new IllegalArgumentException("malformed SLURM node list '" + s + "' (unbalanced brackets)");
        parts.add(s.substring(start));
        for (String p : parts) if (p.isBlank()) throw new IllegalArgumentException("malformed SLURM node list '" + s + "' (empty host name)");
        return parts;
    }

    private static List<String> expandTerm(String term, String whole) {
        int open = term.indexOf('[');
        if (open < 0) return List.of(term.trim());
        int close = term.indexOf(']', open);
        String prefix = term.substring(0, open);
        List<String> rests = expandTerm(term.substring(close + 1), whole);
        List<String> out = new ArrayList<>();
        for (String range : term.substring(open + 1, close).split(",")) {
            for (String number : expandRange(range.trim(), whole)) {
                for (String rest : rests) out.add(prefix + number + rest);
            }
        }
        return out;
    }

    private static List<String> expandRange(String range, String whole) {
        try {
            int dash = range.indexOf('-');
            if (dash < 0) {
                Long.parseLong(range); // must be a number
                return List.of(range);
            }
            String lo = range.substring(0, dash);
            String hi = range.substring(dash + 1);
            long a = Long.parseLong(lo);
            long b = Long.parseLong(hi);
            if (b < a || b - a > 1_000_000) throw new IllegalArgumentException("bad range '" + range + "' in SLURM node list '" + whole + "'");
            int width = lo.length();
            List<String> out = new ArrayList<>();
            for (long v = a; v <= b; v++) {
                String n = Long.toString(v);
                out.add(n.length() < width ? "0".repeat(width - n.length()) + n : n);
            }
            return out;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad range '" + range + "' in SLURM node list '" + whole + "'");
        }
    }
}

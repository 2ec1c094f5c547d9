package io.ddp4j.tensor.io.safetensors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void parsesEveryKindOfValueWithKeysInFileOrder() {
        Object v = Json.parse(" {\"b\": [1, -2, 3.5, 1e3], \"a\": {\"s\": \"x\\\"y\\u00e9\\n\"}, \"t\": true, \"f\": false, \"n\": null}\n");
        Map<?, ?> m = assertInstanceOf(Map.class, v);
        assertEquals(List.of("b", "a", "t", "f", "n"), List.copyOf(m.keySet()));
        assertEquals(List.of(1L, -2L, 3.5, 1000.0), m.get("b"));
        assertEquals(Map.of("s", "x\"y\u00e9\n"), m.get("a"));
        assertEquals(true, m.get("t"));
        assertEquals(false, m.get("f"));
        assertTrue(m.containsKey("n") && m.get("n") == null);
    }

    @Test
    void integersBeyondALongBecomeBigIntegers() {
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(new BigInteger("18446744073709551616"), Json.parse("18446744073709551616"));
    }

    @Test
    void duplicateKeysAreRejectedNamingTheKeyAndWhere() {
        var e = assertThrows(JsonException.class, () -> Json.parse("{\"w\": 1, \"w\": 2}"));
        assertTrue(e.getMessage().contains("duplicate key \"w\""), e.getMessage());
        assertEquals(9, e.position());
    }

    @Test
    void surrogatePairsDecodeAndUnpairedOnesAreRejected() {
        assertEquals("\uD83D\uDE00", Json.parse("\"\\ud83d\\ude00\""));
        assertThrows(JsonException.class, () -> Json.parse("\"\\ud83d x\""));
        assertThrows(JsonException.class, () -> Json.parse("\"\\ude00\""));
    }

    @Test
    void deepNestingStopsAtTheLimitInsteadOfOverflowingTheStack() {
        char[] open = new char[100_000];
        Arrays.fill(open, '[');
        var e = assertThrows(JsonException.class, () -> Json.parse(new String(open)));
        assertTrue(e.getMessage().contains("nesting deeper than 64"), e.getMessage());
        String ok = "[".repeat(64) + "]".repeat(64);
        assertInstanceOf(List.class, Json.parse(ok));
    }

    @Test
    void malformedDocumentsAreRejectedWithAPosition() {
        for (String bad : List.of("", "{", "{\"a\" 1}", "{\"a\":1,}", "[1 2]", "01", "-", "1.", "1e", "tru", "\"a",
                "\"\\x\"", "\"tab\there\"", "{} {}", "{1: 2}", "nan")) {
            assertThrows(JsonException.class, () -> Json.parse(bad), bad);
        }
        assertEquals(3, assertThrows(JsonException.class, () -> Json.parse("{} x")).position());
    }

    @Test
    void quotedStringsParseBackToThemselves() {
        String nasty = "q\" b\\ nl\n cr\r tab\t nul\u0000 bell\u0007 é 😀";
        String quoted = Json.quote(nasty);
        assertEquals(nasty, Json.parse(quoted));
        assertTrue(quoted.contains("\\u0000") && quoted.contains("\\u0007"), quoted);
    }
}

package io.nftpolicy.backend.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void readsObjectsInDocumentOrderArraysAndScalars() {
        Object value = Json.parse(" {\"b\": [1, -2, true, false, null], \"a\": {\"x\": \"y\"}, \"c\": []}\n");

        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("b", Arrays.asList(1L, -2L, true, false, null));
        expected.put("a", Map.of("x", "y"));
        expected.put("c", List.of());
        assertThat(value).isEqualTo(expected);
        assertThat(List.copyOf(((Map<?, ?>) value).keySet())).isEqualTo(List.of("b", "a", "c"));
    }

    @Test
    void keepsNullAsAValueOfAPresentKey() {
        Map<?, ?> value = (Map<?, ?>) Json.parse("{\"accept\": null}");

        assertThat(value.containsKey("accept")).isTrue();
        assertThat(value.get("accept")).isNull();
    }

    @Test
    void decodesEveryEscape() {
        assertThat(Json.parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t\""))
                .isEqualTo("q\" b\\ s/ \b\f\n\r\t");
        assertThat(Json.parse("\"caf\\u00e9 \\u00E9\"")).isEqualTo("café é");
        assertThat(Json.parse("\"\\ud83d\\ude00\"")).isEqualTo("😀");
        assertThat(Json.parse("\"café 😀\"")).isEqualTo("café 😀");
    }

    @Test
    void readsTheLongRange() {
        assertThat(Json.parse("[9223372036854775807, -9223372036854775808, 0]"))
                .isEqualTo(List.of(Long.MAX_VALUE, Long.MIN_VALUE, 0L));
    }

    @Test
    void refusesMalformedInputSayingWhere() {
        assertError("{\"a\": 1,}", "offset 8 (line 1, column 9): unexpected '}', expected a string (an object key)");
        assertError("[1, 2", "offset 5 (line 1, column 6): unexpected end of input, expected ',' or ']'");
        assertError("{\"a\" 1}", "unexpected '1', expected ':'");
        assertError("\"abc", "unterminated string");
        assertError("{\n  \"a\": tru}", "offset 9 (line 2, column 8): unexpected 't', expected a value");
        assertError("[1] [2]", "offset 4 (line 1, column 5): unexpected '[' after the JSON value");
        assertError("", "unexpected end of input, expected a value");
        assertError("'a'", "unexpected ''', expected a value");
    }

    @Test
    void refusesWhatStrictJsonDoesNotAllow() {
        assertError("{\"a\": 1, \"a\": 2}", "offset 9 (line 1, column 10): duplicate key \"a\"");
        assertError("[01]", "leading zero");
        assertError("[1.5]", "only integers are expected here");
        assertError("[1e3]", "only integers are expected here");
        assertError("[-]", "expected a digit");
        assertError("[99999999999999999999]", "integer out of range");
        assertError("\"a\tb\"", "control character U+0009 in a string");
        assertError("\"\\x\"", "bad escape \\x");
        assertError("\"\\u12g4\"", "bad hex digit 'g' in a \\u escape");
        assertError("\"\\u12\"", "incomplete \\u escape");
        assertError("[+1]", "unexpected '+', expected a value");
    }

    @Test
    void refusesNestingDeepEnoughToExhaustTheStack() {
        assertError("[".repeat(10_000) + "]".repeat(10_000), "nested deeper than 256 levels");
    }

    private static void assertError(String json, String message) {
        assertThatThrownBy(() -> Json.parse(json)).isInstanceOf(KernelTableFormatException.class)
                .hasMessageStartingWith("malformed JSON at offset").hasMessageContaining(message);
    }
}

package io.nftpolicy.backend.kernel;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * Reads libnftables' JSON with Jackson, strictly (a duplicate key, trailing text or nesting deeper than 256 levels
 * is an error), and gives typed access to it that names the path of what is not as expected, e.g.
 * {@code nftables[3].set.elem[0].concat[1]}.
 */
final class JsonAt {
    private static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(256).build()).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private JsonAt() {}

    /** One JSON document. */
    static JsonNode parse(String json) {
        if (json == null) {
            throw new KernelTableFormatException("no JSON (null)");
        }
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr();
            throw new KernelTableFormatException("malformed JSON" + where + ": " + e.getOriginalMessage(), e);
        }
    }

    static JsonNode object(JsonNode value, String path) {
        if (value != null && value.isObject()) {
            return value;
        }
        throw format(path, "expected an object, found " + describe(value));
    }

    static JsonNode array(JsonNode value, String path) {
        if (value != null && value.isArray()) {
            return value;
        }
        throw format(path, "expected an array, found " + describe(value));
    }

    static JsonNode pair(JsonNode value, String path) {
        JsonNode list = array(value, path);
        if (list.size() != 2) {
            throw format(path, "expected two values, found " + list.size());
        }
        return list;
    }

    static String string(JsonNode value, String path) {
        if (value != null && value.isTextual()) {
            return value.textValue();
        }
        throw format(path, "expected a string, found " + describe(value));
    }

    static long number(JsonNode value, String path) {
        if (value != null && value.isIntegralNumber() && value.canConvertToLong()) {
            return value.longValue();
        }
        throw format(path, "expected a number, found " + describe(value));
    }

    /** The value as compact JSON, cut at 80 characters; {@code null} for a missing one. */
    static String describe(JsonNode value) {
        String text = value == null ? "null" : value.toString();
        return text.length() > 80 ? text.substring(0, 77) + "..." : text;
    }

    static KernelTableFormatException format(String path, String what) {
        return new KernelTableFormatException("unexpected listing of the table at " + path + ": " + what);
    }
}

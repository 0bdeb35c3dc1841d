package io.nftpolicy.backend.kernel;

import static io.nftpolicy.backend.kernel.JsonAt.describe;
import static io.nftpolicy.backend.kernel.JsonAt.format;
import static io.nftpolicy.backend.kernel.JsonAt.number;
import static io.nftpolicy.backend.kernel.JsonAt.object;
import static io.nftpolicy.backend.kernel.JsonAt.pair;
import static io.nftpolicy.backend.kernel.JsonAt.string;

import com.fasterxml.jackson.databind.JsonNode;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.SetElement;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes the elements of a set or verdict map in libnftables' JSON into the model's typed keys: an address
 * ({@code "10.0.0.1"}), prefix ({@code {"prefix":{"addr":...,"len":N}}}) or range ({@code {"range":[A,B]}}), a
 * protocol by name or number, a port or port range, a mark, and concatenations of them ({@code {"concat":[...]}});
 * an element's comment from {@code {"elem":{"val":...,"comment":...}}}. Anything else is a
 * {@link KernelTableFormatException} naming the path and what was found.
 */
final class ElementDecoder {
    private ElementDecoder() {}

    /** A key type: one name, or an array of them for a concatenation. */
    static List<KeyType> keyType(JsonNode type, String path) {
        if (type != null && type.isTextual()) {
            return List.of(keyType(type.textValue(), path));
        }
        JsonNode parts = JsonAt.array(type, path);
        if (parts.isEmpty()) {
            throw format(path, "empty key type");
        }
        List<KeyType> out = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            out.add(keyType(string(parts.get(i), path + "[" + i + "]"), path + "[" + i + "]"));
        }
        return out;
    }

    static String typeText(List<KeyType> keyType) {
        return String.join(" . ", keyType.stream().map(KeyType::nftName).toList());
    }

    /** A set element: its key of {@code keyType}, and its comment. */
    static SetElement setElement(JsonNode element, List<KeyType> keyType, String path) {
        JsonNode value = value(element, path);
        return new SetElement(key(value, keyType, path), List.of(), comment(element, path));
    }

    /** A verdict-map element, {@code [address, {"jump":{"target":chain}}]}; nftpolicy's maps only jump. */
    static MapElement mapElement(JsonNode element, IpFamily family, String path) {
        JsonNode pair = pair(element, path);
        JsonNode key = value(pair.get(0), path + "[0]");
        if (!key.isTextual()) {
            throw format(path + "[0]", "expected an address, found " + describe(key));
        }
        JsonNode verdict = object(pair.get(1), path + "[1]");
        if (verdict.size() != 1 || !verdict.has("jump")) {
            throw format(path + "[1]", "expected a jump to a chain, found " + describe(verdict));
        }
        String chain = string(object(verdict.get("jump"), path + "[1].jump").get("target"), path + "[1].jump.target");
        return new MapElement(address(key.textValue(), family, path + "[0]"), chain, comment(pair.get(0), path + "[0]"));
    }

    private static KeyType keyType(String name, String path) {
        for (KeyType t : KeyType.values()) {
            if (t.nftName().equals(name)) {
                return t;
            }
        }
        throw format(path, "key type " + name + " (nftpolicy uses only ipv4_addr, ipv6_addr, inet_proto, "
                + "inet_service and mark)");
    }

    /** An element's value: inside {@code {"elem":{"val":...}}}, or the bare value. */
    private static JsonNode value(JsonNode element, String path) {
        if (isElem(element)) {
            JsonNode elem = object(element.get("elem"), path + ".elem");
            if (!elem.has("val")) {
                throw format(path + ".elem", "element without \"val\"");
            }
            return elem.get("val");
        }
        return element;
    }

    private static String comment(JsonNode element, String path) {
        if (isElem(element) && element.get("elem").has("comment")) {
            return string(element.get("elem").get("comment"), path + ".elem.comment");
        }
        return "";
    }

    private static boolean isElem(JsonNode element) {
        return element != null && element.isObject() && element.size() == 1 && element.has("elem");
    }

    private static List<KeyPart> key(JsonNode value, List<KeyType> keyType, String path) {
        if (keyType.size() == 1) {
            return List.of(keyPart(value, keyType.get(0), path));
        }
        JsonNode concat = object(value, path);
        if (!concat.has("concat") || concat.size() != 1) {
            throw format(path, "expected a concatenation {\"concat\":[...]} for key type " + typeText(keyType)
                    + ", found " + describe(value));
        }
        JsonNode parts = JsonAt.array(concat.get("concat"), path + ".concat");
        if (parts.size() != keyType.size()) {
            throw format(path, parts.size() + " key parts for key type " + typeText(keyType));
        }
        List<KeyPart> key = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            key.add(keyPart(parts.get(i), keyType.get(i), path + ".concat[" + i + "]"));
        }
        return key;
    }

    private static KeyPart keyPart(JsonNode value, KeyType type, String path) {
        return switch (type) {
            case IPV4_ADDR -> new KeyPart.Addresses(addresses(value, IpFamily.IPV4, path));
            case IPV6_ADDR -> new KeyPart.Addresses(addresses(value, IpFamily.IPV6, path));
            case INET_PROTO -> new KeyPart.Proto(protocol(value, path));
            case INET_SERVICE -> ports(value, path);
            case MARK -> mark(value, path);
        };
    }

    private static KeyPart.Mark mark(JsonNode value, String path) {
        long mark = number(value, path);
        if (mark < 0 || mark > 0xffffffffL) {
            throw format(path, "mark " + mark + " out of range");
        }
        return new KeyPart.Mark(mark);
    }

    /** A plain address, {@code {"prefix":{"addr":A,"len":N}}} or {@code {"range":[A,B]}}. */
    private static IpRange addresses(JsonNode value, IpFamily family, String path) {
        if (value != null && value.isTextual()) {
            return IpRange.single(address(value.textValue(), family, path));
        }
        JsonNode m = object(value, path);
        if (m.size() == 1 && m.has("prefix")) {
            JsonNode prefix = object(m.get("prefix"), path + ".prefix");
            IpAddress addr = address(string(prefix.get("addr"), path + ".prefix.addr"), family, path + ".prefix.addr");
            long len = number(prefix.get("len"), path + ".prefix.len");
            if (len < 0 || len > family.bits()) {
                throw format(path + ".prefix.len", "prefix length " + len + " out of range for " + family);
            }
            return IpRange.prefix(addr, (int) len);
        }
        if (m.size() == 1 && m.has("range")) {
            JsonNode range = pair(m.get("range"), path + ".range");
            IpAddress first = address(string(range.get(0), path + ".range[0]"), family, path + ".range[0]");
            IpAddress last = address(string(range.get(1), path + ".range[1]"), family, path + ".range[1]");
            if (first.compareTo(last) > 0) {
                throw format(path + ".range", "empty range " + first + "-" + last);
            }
            return new IpRange(first, last);
        }
        throw format(path, "expected an address, prefix or range, found " + describe(value));
    }

    private static IpAddress address(String text, IpFamily family, String path) {
        IpAddress address;
        try {
            address = IpAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw format(path, e.getMessage());
        }
        if (address.family() != family) {
            throw format(path, text + " is not an " + family + " address");
        }
        return address;
    }

    /** tcp, udp or sctp, by name or number (as a number or in a string). */
    private static Protocol protocol(JsonNode value, String path) {
        long number = -1;
        if (value != null && value.isTextual()) {
            for (Protocol p : Protocol.values()) {
                if (p.nftName().equals(value.textValue())) {
                    return p;
                }
            }
            if (value.textValue().matches("\\d{1,3}")) {
                number = Long.parseLong(value.textValue());
            }
        } else if (value != null && value.isIntegralNumber() && value.canConvertToLong()) {
            number = value.longValue();
        }
        if (number == 6) {
            return Protocol.TCP;
        }
        if (number == 17) {
            return Protocol.UDP;
        }
        if (number == 132) {
            return Protocol.SCTP;
        }
        throw format(path, "expected tcp, udp or sctp, found " + describe(value));
    }

    /** A port, {@code {"range":[A,B]}}, or either as digits in a string. */
    private static KeyPart.Ports ports(JsonNode value, String path) {
        if (value != null && value.isObject() && value.size() == 1 && value.has("range")) {
            JsonNode range = pair(value.get("range"), path + ".range");
            return portRange(port(range.get(0), path + ".range[0]"), port(range.get(1), path + ".range[1]"), path);
        }
        int port = port(value, path);
        return portRange(port, port, path);
    }

    private static KeyPart.Ports portRange(int first, int last, String path) {
        if (first > last) {
            throw format(path, "empty port range " + first + "-" + last);
        }
        return new KeyPart.Ports(first, last);
    }

    private static int port(JsonNode value, String path) {
        long n;
        if (value != null && value.isIntegralNumber() && value.canConvertToLong()) {
            n = value.longValue();
        } else if (value != null && value.isTextual() && value.textValue().matches("\\d{1,5}")) {
            n = Long.parseLong(value.textValue());
        } else {
            throw format(path, "expected a port number, found " + describe(value));
        }
        if (n < 0 || n > 65535) {
            throw format(path, "port " + n + " out of range");
        }
        return (int) n;
    }
}

package io.nftpolicy.cluster;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The API server's rules for names, label keys and values, and ports (apimachinery's validation package). Objects
 * read from files never met them; each check returns what is wrong, in one phrase, or empty when the text is valid.
 */
public final class KubernetesNames {
    private KubernetesNames() {}

    private static final Pattern QUALIFIED_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS1123_SUBDOMAIN =
            Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern PORT_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern HAS_LETTER = Pattern.compile(".*[a-z].*");

    /** A label key: an optional DNS-1123 subdomain prefix of at most 253 characters and '/', then a name of 63. */
    public static Optional<String> labelKey(String key) {
        if (key == null || key.isEmpty()) {
            return Optional.of("empty label key");
        }
        int slash = key.indexOf('/');
        String name = slash < 0 ? key : key.substring(slash + 1);
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            if (prefix.isEmpty() || prefix.length() > 253 || !DNS1123_SUBDOMAIN.matcher(prefix).matches()) {
                return Optional.of("label key " + quote(key) + ": the prefix before '/' must be a DNS subdomain of at "
                        + "most 253 characters (lower-case letters, digits, '-' and '.')");
            }
        }
        if (name.isEmpty() || name.length() > 63 || !QUALIFIED_NAME.matcher(name).matches()) {
            return Optional.of("label key " + quote(key) + ": the name must be at most 63 characters: letters, digits, "
                    + "'-', '_' and '.', starting and ending with a letter or digit");
        }
        return Optional.empty();
    }

    /** A label value: empty, or at most 63 characters of the label name alphabet. */
    public static Optional<String> labelValue(String value) {
        if (value == null || value.isEmpty()) {
            return Optional.empty();
        }
        if (value.length() > 63 || !QUALIFIED_NAME.matcher(value).matches()) {
            return Optional.of("label value " + quote(value) + " must be empty or at most 63 characters: letters, "
                    + "digits, '-', '_' and '.', starting and ending with a letter or digit");
        }
        return Optional.empty();
    }

    /** A namespace name: a DNS-1123 label of at most 63 characters. */
    public static Optional<String> namespaceName(String name) {
        if (name == null || name.length() > 63 || !DNS1123_LABEL.matcher(name).matches()) {
            return Optional.of("namespace name " + quote(name) + " must be at most 63 lower-case letters, digits and "
                    + "'-', starting and ending with a letter or digit");
        }
        return Optional.empty();
    }

    /** A pod name: a DNS-1123 subdomain of at most 253 characters. */
    public static Optional<String> podName(String name) {
        if (name == null || name.length() > 253 || !DNS1123_SUBDOMAIN.matcher(name).matches()) {
            return Optional.of("pod name " + quote(name) + " must be at most 253 lower-case letters, digits, '-' and "
                    + "'.', starting and ending with a letter or digit");
        }
        return Optional.empty();
    }

    /** A port number: 1 to 65535. */
    public static Optional<String> portNumber(long port) {
        return port < 1 || port > 65535 ? Optional.of("port " + port + " is outside 1-65535") : Optional.empty();
    }

    /**
     * A port name (IANA_SVC_NAME): at most 15 lower-case letters, digits and '-', at least one letter, no "--", not
     * starting or ending with '-'.
     */
    public static Optional<String> portName(String name) {
        if (name == null || name.length() > 15 || !PORT_NAME.matcher(name).matches()
                || !HAS_LETTER.matcher(name).matches() || name.contains("--")) {
            return Optional.of("port name " + quote(name) + " must be at most 15 lower-case letters, digits and '-', "
                    + "with a letter, without \"--\", not starting or ending with '-'");
        }
        return Optional.empty();
    }

    /** The text in double quotes, control characters (a NUL, a newline) written as escapes so the line stays one. */
    public static String quote(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder("\"");
        int shown = text.length() > 80 ? 60 : text.length();
        for (int i = 0; i < shown; i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\u%04x", (int) c));
            } else if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else {
                out.append(c);
            }
        }
        return shown < text.length() ? out.append("...\" (" + text.length() + " characters)").toString()
                : out.append('"').toString();
    }
}

package io.nftpolicy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The API server's validation rules, at their limits. */
class KubernetesNamesTest {
    private static final String A63 = "a".repeat(63);
    private static final String PREFIX253 = ("a".repeat(63) + ".").repeat(3) + "a".repeat(61);

    static java.util.stream.Stream<String> validLabelKeys() {
        return java.util.stream.Stream.of("app", "a", "A_b.c-D", "example.com/app", "kubernetes.io/metadata.name", A63,
                PREFIX253 + "/" + A63);
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("validLabelKeys")
    void acceptsValidLabelKeys(String key) {
        assertThat(KubernetesNames.labelKey(key)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-app", "app-", "a b", "a\0b", "/app", "example.com/", "Example.com/app", "a/b/c",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ünïcode"})
    void rejectsInvalidLabelKeys(String key) {
        assertThat(KubernetesNames.labelKey(key)).isPresent();
    }

    static java.util.stream.Stream<String> validLabelValues() {
        return java.util.stream.Stream.of("", "v", "V_1.2-x", A63);
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("validLabelValues")
    void acceptsValidLabelValues(String value) {
        assertThat(KubernetesNames.labelValue(value)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"-v", "v-", "a\0b", "ünïcode", "a b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    void rejectsInvalidLabelValues(String value) {
        assertThat(KubernetesNames.labelValue(value)).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http", "h2", "web-80", "a23456789012345"})
    void acceptsValidPortNames(String name) {
        assertThat(KubernetesNames.portName(name)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "80", "Http", "-web", "web-", "we--b", "a234567890123456", "web_80"})
    void rejectsInvalidPortNames(String name) {
        assertThat(KubernetesNames.portName(name)).isPresent();
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, 65536, 4294967297L})
    void rejectsPortsOutside1To65535(long port) {
        assertThat(KubernetesNames.portNumber(port)).hasValue("port " + port + " is outside 1-65535");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "a", "kube-system"})
    void acceptsValidNamespaceNames(String name) {
        assertThat(KubernetesNames.namespaceName(name)).isEmpty();
        assertThat(KubernetesNames.podName(name + ".v1")).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dev", "a.b", "-a", "nämespace", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    void rejectsInvalidNamespaceNames(String name) {
        assertThat(KubernetesNames.namespaceName(name)).isPresent();
    }

    @org.junit.jupiter.api.Test
    void rejectsAPrefixOver253Characters() {
        assertThat(KubernetesNames.labelKey(PREFIX253 + "a/app")).isPresent();
    }

    @org.junit.jupiter.api.Test
    void quotesControlCharactersAsEscapesAndShortensLongText() {
        assertThat(KubernetesNames.quote("a\0b\n")).isEqualTo("\"a\\u0000b\\u000a\"");
        assertThat(KubernetesNames.quote("x".repeat(100))).isEqualTo("\"" + "x".repeat(60) + "...\" (100 characters)");
    }
}

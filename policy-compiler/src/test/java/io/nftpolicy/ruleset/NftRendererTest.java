package io.nftpolicy.ruleset;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.testing.KernelTest;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NftRendererTest {

    // ---- a small hand-built ruleset ----------------------------------------------------------------------------

    private static final Source DB_FROM_WEB = new Source("dev/db-access", PolicyType.INGRESS, 0, 1);
    private static final Source DB_FROM_MONITORING = new Source("dev/monitoring", PolicyType.INGRESS, 2, 0);
    private static final Source DB_ANY_PEER = new Source("dev/db-access", PolicyType.INGRESS, 1, -1);

    private static IpAddress ip(String text) {
        return IpAddress.parse(text);
    }

    private static KeyPart.Addresses addresses(String first, String last) {
        return new KeyPart.Addresses(new IpRange(ip(first), ip(last)));
    }

    private static Ruleset sample() {
        VerdictMap dispatch = new VerdictMap("ingress-v4", KeyType.IPV4_ADDR, "local pods isolated for ingress", List.of(
                new MapElement(ip("10.244.1.5"), "ing-1a2b3c4d-dev_db-access", "dev/db-0"),
                new MapElement(ip("10.244.1.6"), "ing-1a2b3c4d-dev_db-access", "dev/db-1")));
        NamedSet any = new NamedSet("ing-1a2b3c4d-dev_db-access-any-v4", List.of(KeyType.IPV4_ADDR), true, "", List.of(
                new SetElement(List.of(addresses("10.244.2.0", "10.244.2.255")), List.of(DB_FROM_WEB)),
                new SetElement(List.of(addresses("10.244.3.1", "10.244.3.9")), List.of(DB_FROM_WEB, DB_FROM_MONITORING))));
        NamedSet ports = new NamedSet("ing-1a2b3c4d-dev_db-access-ports-v4",
                List.of(KeyType.IPV4_ADDR, KeyType.INET_PROTO, KeyType.INET_SERVICE), true, "peer . protocol . port",
                List.of(
                        new SetElement(List.of(addresses("0.0.0.0", "255.255.255.255"), new KeyPart.Proto(Protocol.TCP),
                                new KeyPart.Ports(5432, 5432)), List.of(DB_ANY_PEER)),
                        new SetElement(List.of(addresses("172.17.0.0", "172.17.0.255"), new KeyPart.Proto(Protocol.UDP),
                                new KeyPart.Ports(8000, 8099)), List.of())));
        NamedSet anyV6 = new NamedSet("ing-1a2b3c4d-dev_db-access-any-v6", List.of(KeyType.IPV6_ADDR), true, "", List.of(
                new SetElement(List.of(addresses("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")),
                        List.of(DB_FROM_WEB)),
                new SetElement(List.of(addresses("fd00::1", "fd00::1")), List.of(DB_FROM_WEB))));
        Chain forward = new Chain("filter-forward", Optional.of(new BaseHook("forward", 0)), "", List.of(
                Rule.of("ip daddr vmap @ingress-v4", "dispatch to the pod's ingress chain")));
        Chain group = new Chain("ing-1a2b3c4d-dev_db-access", Optional.empty(), "dev/db-access", List.of(
                new Rule("ip saddr @ing-1a2b3c4d-dev_db-access-any-v4 accept", "", List.of(DB_FROM_WEB)),
                Rule.of("ip saddr . meta l4proto . th dport @ing-1a2b3c4d-dev_db-access-ports-v4 accept", ""),
                Rule.of("ip6 saddr @ing-1a2b3c4d-dev_db-access-any-v6 accept", ""),
                Rule.of("drop", "isolated for ingress")));
        return new Ruleset(Ruleset.FAMILY, Ruleset.TABLE, "managed by nftpolicy", List.of(any, ports, anyV6),
                List.of(dispatch), List.of(forward, group));
    }

    private static final String SAMPLE_TEXT = String.join("\n",
            "table inet nftpolicy {",
            "\tcomment \"managed by nftpolicy\"",
            "",
            "\tmap ingress-v4 {",
            "\t\ttype ipv4_addr : verdict",
            "\t\tcomment \"local pods isolated for ingress\"",
            "\t\telements = {",
            "\t\t\t10.244.1.5 comment \"dev/db-0\" : jump ing-1a2b3c4d-dev_db-access,",
            "\t\t\t10.244.1.6 comment \"dev/db-1\" : jump ing-1a2b3c4d-dev_db-access",
            "\t\t}",
            "\t}",
            "",
            "\tset ing-1a2b3c4d-dev_db-access-any-v4 {",
            "\t\ttype ipv4_addr",
            "\t\tflags interval",
            "\t\telements = {",
            "\t\t\t10.244.2.0/24 comment \"dev/db-access ingress[0].from[1]\",",
            "\t\t\t10.244.3.1-10.244.3.9 comment \"dev/db-access ingress[0].from[1]; dev/monitoring ingress[2].from[0]\"",
            "\t\t}",
            "\t}",
            "",
            "\tset ing-1a2b3c4d-dev_db-access-ports-v4 {",
            "\t\ttype ipv4_addr . inet_proto . inet_service",
            "\t\tflags interval",
            "\t\tcomment \"peer . protocol . port\"",
            "\t\telements = {",
            "\t\t\t0.0.0.0/0 . tcp . 5432 comment \"dev/db-access ingress[1]\",",
            "\t\t\t172.17.0.0/24 . udp . 8000-8099",
            "\t\t}",
            "\t}",
            "",
            "\tset ing-1a2b3c4d-dev_db-access-any-v6 {",
            "\t\ttype ipv6_addr",
            "\t\tflags interval",
            "\t\telements = {",
            "\t\t\t2001:db8::/32 comment \"dev/db-access ingress[0].from[1]\",",
            "\t\t\tfd00::1 comment \"dev/db-access ingress[0].from[1]\"",
            "\t\t}",
            "\t}",
            "",
            "\tchain filter-forward {",
            "\t\ttype filter hook forward priority 0; policy accept;",
            "\t\tip daddr vmap @ingress-v4 comment \"dispatch to the pod's ingress chain\"",
            "\t}",
            "",
            "\tchain ing-1a2b3c4d-dev_db-access {",
            "\t\tcomment \"dev/db-access\"",
            "\t\tip saddr @ing-1a2b3c4d-dev_db-access-any-v4 accept",
            "\t\tip saddr . meta l4proto . th dport @ing-1a2b3c4d-dev_db-access-ports-v4 accept",
            "\t\tip6 saddr @ing-1a2b3c4d-dev_db-access-any-v6 accept",
            "\t\tdrop comment \"isolated for ingress\"",
            "\t}",
            "}",
            "");

    private static List<String> lines(String text) {
        return List.of(text.split("\n", -1));
    }

    private static int utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    /** The text between the quotes of a rendered {@code comment "..."}. */
    private static String unquote(String quoted) {
        assertThat(quoted).startsWith("\"").endsWith("\"");
        return quoted.substring(1, quoted.length() - 1);
    }

    private static Source source(String policy, int rule) {
        return new Source(policy, PolicyType.EGRESS, rule, 0);
    }

    // ---- rendering ---------------------------------------------------------------------------------------------

    @Test
    void rendersTheWholeTableAsAnNftScript() {
        assertThat(NftRenderer.render(sample())).isEqualTo(SAMPLE_TEXT);
    }

    @Test
    void anIntervalSetDeclaresItsTypeAndTheIntervalFlag() {
        assertThat(lines(NftRenderer.render(sample())))
                .containsSubsequence(
                        "\tset ing-1a2b3c4d-dev_db-access-any-v4 {",
                        "\t\ttype ipv4_addr",
                        "\t\tflags interval");
    }

    @Test
    void aConcatenatedKeyTypeJoinsItsPartsWithDots() {
        assertThat(lines(NftRenderer.render(sample())))
                .contains("\t\ttype ipv4_addr . inet_proto . inet_service")
                .contains("\t\t\t172.17.0.0/24 . udp . 8000-8099");
    }

    @Test
    void aSetWithoutTheIntervalFlagHasNoFlagsLine() {
        NamedSet exact = new NamedSet("exact", List.of(KeyType.IPV4_ADDR), false, "", List.of(
                new SetElement(List.of(addresses("10.0.0.1", "10.0.0.1")), List.of())));

        assertThat(NftRenderer.renderSet(exact)).isEqualTo(String.join("\n",
                "\tset exact {",
                "\t\ttype ipv4_addr",
                "\t\telements = {",
                "\t\t\t10.0.0.1",
                "\t\t}",
                "\t}",
                ""));
    }

    @Test
    void anEmptySetHasNoElementsBlock() {
        NamedSet empty = new NamedSet("empty", List.of(KeyType.IPV6_ADDR), true, "", List.of());

        assertThat(NftRenderer.renderSet(empty)).isEqualTo("\tset empty {\n\t\ttype ipv6_addr\n\t\tflags interval\n\t}\n");
    }

    @Test
    void setElementCommentsNameTheirSources() {
        assertThat(lines(NftRenderer.render(sample()))).contains(
                "\t\t\t10.244.3.1-10.244.3.9 comment \"dev/db-access ingress[0].from[1]; dev/monitoring ingress[2].from[0]\"");
    }

    @Test
    void aVerdictMapJumpsToTheChainOfEachAddress() {
        assertThat(lines(NftRenderer.render(sample()))).containsSubsequence(
                "\tmap ingress-v4 {",
                "\t\ttype ipv4_addr : verdict",
                "\t\tcomment \"local pods isolated for ingress\"",
                "\t\telements = {",
                "\t\t\t10.244.1.5 comment \"dev/db-0\" : jump ing-1a2b3c4d-dev_db-access,",
                "\t\t\t10.244.1.6 comment \"dev/db-1\" : jump ing-1a2b3c4d-dev_db-access",
                "\t\t}");
    }

    @Test
    void aBaseChainStartsWithItsHookLine() {
        assertThat(lines(NftRenderer.render(sample()))).containsSubsequence(
                "\tchain filter-forward {",
                "\t\ttype filter hook forward priority 0; policy accept;",
                "\t\tip daddr vmap @ingress-v4 comment \"dispatch to the pod's ingress chain\"",
                "\t}");
    }

    @Test
    void aBaseChainKeepsANegativePriority() {
        Chain input = new Chain("filter-input", Optional.of(new BaseHook("input", -10)), "", List.of());

        assertThat(NftRenderer.renderChain(input))
                .isEqualTo("\tchain filter-input {\n\t\ttype filter hook input priority -10; policy accept;\n\t}\n");
    }

    @Test
    void aRegularChainHasNoHookLine() {
        String chain = NftRenderer.renderChain(sample().chains().get(1));

        assertThat(chain).doesNotContain("hook").startsWith("\tchain ing-1a2b3c4d-dev_db-access {\n\t\tcomment \"dev/db-access\"\n");
    }

    @Test
    void aRuleWithoutCommentIsItsStatement() {
        assertThat(NftRenderer.renderRule(Rule.of("ip saddr @s accept", ""))).isEqualTo("ip saddr @s accept");
    }

    @Test
    void aRuleCommentFollowsTheStatement() {
        assertThat(NftRenderer.renderRule(Rule.of("drop", "isolated"))).isEqualTo("drop comment \"isolated\"");
    }

    @Test
    void equalRulesetsRenderByteIdentically() {
        Ruleset one = sample();
        Ruleset other = sample();

        assertThat(one).isEqualTo(other).isNotSameAs(other);
        assertThat(NftRenderer.render(one).getBytes(StandardCharsets.UTF_8))
                .isEqualTo(NftRenderer.render(other).getBytes(StandardCharsets.UTF_8));
    }

    // ---- comments ----------------------------------------------------------------------------------------------

    @Test
    void aDoubleQuoteInACommentBecomesASingleQuote() {
        assertThat(NftRenderer.quote("say \"hi\"")).isEqualTo("\"say 'hi'\"");
    }

    @Test
    void aNewlineInACommentBecomesASpace() {
        assertThat(NftRenderer.quote("two\nlines")).isEqualTo("\"two lines\"");
    }

    @Test
    void aCommentOf127BytesIsKeptWhole() {
        String text = "x".repeat(127);

        assertThat(unquote(NftRenderer.quote(text))).isEqualTo(text);
    }

    @Test
    void aLongerCommentIsCutTo127BytesEndingInAnEllipsis() {
        String kept = unquote(NftRenderer.quote("y".repeat(128)));

        assertThat(utf8(kept)).isEqualTo(127);
        assertThat(kept).isEqualTo("y".repeat(124) + "...");
    }

    @Test
    void truncationCountsBytesNotCharacters() {
        String kept = unquote(NftRenderer.quote("é".repeat(100)));

        assertThat(utf8(kept)).isLessThanOrEqualTo(127);
        assertThat(kept).isEqualTo("é".repeat(62) + "...");
    }

    /** A character outside the BMP is two Java chars; cutting between them leaves text no UTF-8 encoder can write. */
    @Test
    void truncationNeverSplitsACharacter() {
        String kept = unquote(NftRenderer.quote("a".repeat(123) + "\uD83D\uDE00" + "tail"));

        assertThat(utf8(kept)).isLessThanOrEqualTo(127);
        assertThat(isWellFormedUtf16(kept)).as("well-formed: %s", kept).isTrue();
        assertThat(kept).endsWith("...");
    }

    private static boolean isWellFormedUtf16(String text) {
        try {
            StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(java.nio.CharBuffer.wrap(text));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @Test
    void noRenderedLineCarriesAStrayDoubleQuoteOrAnOverlongComment() {
        String evil = "policy \"quoted\" " + "z".repeat(300);
        Source evilSource = new Source("dev/" + evil, PolicyType.INGRESS, 0, 0);
        Ruleset ruleset = new Ruleset(Ruleset.FAMILY, Ruleset.TABLE, evil,
                List.of(new NamedSet("s", List.of(KeyType.IPV4_ADDR), true, evil, List.of(
                        new SetElement(List.of(addresses("10.0.0.0", "10.0.0.255")), List.of(evilSource, DB_FROM_WEB))))),
                List.of(new VerdictMap("m", KeyType.IPV4_ADDR, evil, List.of(new MapElement(ip("10.0.0.1"), "c", evil)))),
                List.of(new Chain("c", Optional.empty(), evil, List.of(Rule.of("accept", evil)))));

        for (String line : lines(NftRenderer.render(ruleset))) {
            long quotes = line.chars().filter(c -> c == '"').count();
            assertThat(quotes).as(line).isIn(0L, 2L);
            if (quotes == 2) {
                String comment = line.substring(line.indexOf('"') + 1, line.lastIndexOf('"'));
                assertThat(utf8(comment)).as(line).isLessThanOrEqualTo(127);
            }
        }
    }

    // ---- sourcesComment ----------------------------------------------------------------------------------------

    @Test
    void noSourcesMeansNoComment() {
        assertThat(NftRenderer.sourcesComment(List.of())).isEmpty();
    }

    @Test
    void oneSourceIsNamedWithItsRuleAndPeer() {
        assertThat(NftRenderer.sourcesComment(List.of(DB_FROM_WEB))).isEqualTo("dev/db-access ingress[0].from[1]");
    }

    @Test
    void aSourceWithoutPeersIsNamedByItsRule() {
        assertThat(NftRenderer.sourcesComment(List.of(DB_ANY_PEER))).isEqualTo("dev/db-access ingress[1]");
    }

    @Test
    void anEgressSourceNamesItsToPeer() {
        assertThat(NftRenderer.sourcesComment(List.of(source("prod/dns", 3))))
                .isEqualTo("prod/dns egress[3].to[0]");
    }

    @Test
    void severalSourcesAreListedInOrderSeparatedBySemicolons() {
        assertThat(NftRenderer.sourcesComment(List.of(source("a/p", 0), source("b/q", 1), source("c/r", 2))))
                .isEqualTo("a/p egress[0].to[0]; b/q egress[1].to[0]; c/r egress[2].to[0]");
    }

    @Test
    void sourcesThatDoNotFitAreCountedAsMore() {
        List<Source> sources = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sources.add(source("team-" + i + "/allow-from-frontend", i));
        }

        String comment = NftRenderer.sourcesComment(sources);

        assertThat(utf8(comment)).isLessThanOrEqualTo(127);
        assertThat(comment).matches(".* \\+\\d+ more");
        String[] listed = comment.substring(0, comment.lastIndexOf(" +")).split("; ");
        int more = Integer.parseInt(comment.replaceAll(".* \\+(\\d+) more", "$1"));
        assertThat(listed.length).isGreaterThan(1);
        assertThat(listed.length + more).isEqualTo(20);
        for (int i = 0; i < listed.length; i++) {
            assertThat(listed[i]).isEqualTo(sources.get(i).toString());
        }
    }

    @Test
    void sourcesFillingExactly127BytesAreAllListed() {
        // "ns/" + name + " egress[0].to[0]" is 19 + name bytes: 62 + "; " + 63 make 127.
        Source first = source("ns/" + "a".repeat(43), 0);
        Source second = source("ns/" + "b".repeat(44), 0);

        String comment = NftRenderer.sourcesComment(List.of(first, second));

        assertThat(utf8(comment)).isEqualTo(127);
        assertThat(comment).isEqualTo(first + "; " + second);
    }

    @Test
    void aLastSourceOneByteTooLongIsCountedAsMore() {
        Source first = source("ns/" + "a".repeat(43), 0);
        Source second = source("ns/" + "b".repeat(45), 0);

        assertThat(NftRenderer.sourcesComment(List.of(first, second))).isEqualTo(first + " +1 more");
    }

    @Test
    void theMoreCountLeavesRoomForItselfBeforeTheLastSource() {
        // 72 + "; " + 50 = 124 bytes would fit, but not with " +1 more" for the third source after it.
        List<Source> sources = List.of(source("ns/" + "a".repeat(53), 0), source("ns/" + "b".repeat(31), 0),
                source("c/x", 0));

        String comment = NftRenderer.sourcesComment(sources);

        assertThat(comment).isEqualTo(sources.get(0) + " +2 more");
    }

    /** NetworkPolicy names may be 253 characters long: one source alone can exceed what the kernel keeps. */
    @Test
    void aFirstSourceTooLongToFitStillSaysHowManyMoreThereAre() {
        Source longName = new Source("dev/" + "n".repeat(200), PolicyType.INGRESS, 0, 0);

        String comment = NftRenderer.sourcesComment(List.of(longName, DB_FROM_WEB, DB_FROM_MONITORING));

        assertThat(utf8(comment)).isLessThanOrEqualTo(127);
        assertThat(comment).endsWith(" +2 more");
    }

    // ---- the real nft ------------------------------------------------------------------------------------------

    @KernelTest
    @Test
    void theRenderedScriptLoadsIntoAFreshNetworkNamespace(@TempDir Path dir) throws Exception {
        Path script = Files.writeString(dir.resolve("ruleset.nft"), NftRenderer.render(sample()));
        String netns = "nftpolicy-test-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());

        assertThat(run("ip", "netns", "add", netns).exitCode()).isZero();
        try {
            Result load = run("ip", "netns", "exec", netns, "nft", "-f", script.toString());
            assertThat(load.exitCode()).as("nft -f said:%n%s", load.output()).isZero();

            Result list = run("ip", "netns", "exec", netns, "nft", "list", "table", "inet", "nftpolicy");
            assertThat(list.exitCode()).as(list.output()).isZero();
            assertThat(list.output())
                    .contains("set ing-1a2b3c4d-dev_db-access-ports-v4")
                    .contains("chain filter-forward");
        } finally {
            run("ip", "netns", "del", netns);
        }
    }

    private record Result(int exitCode, String output) {}

    private static Result run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}

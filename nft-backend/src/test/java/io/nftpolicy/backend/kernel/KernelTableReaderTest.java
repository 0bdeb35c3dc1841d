package io.nftpolicy.backend.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.Cidr;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The reader on listings libnftables 1.0.6 printed (FORMS: a table written to hold every form an element, a map
 * and a rule take), without the kernel. {@link KernelReadBackTest} does the same on compiled rulesets in the kernel.
 */
class KernelTableReaderTest {
    /** {@code nft -j list table inet t2} for the table in {@link #SCRIPT}, one object per line. */
    static final String FORMS = """
            {"nftables": [
            {"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
            {"table": {"family": "inet", "name": "t2", "handle": 2}},
            {"set": {"family": "inet", "name": "m4", "table": "t2", "type": ["ipv4_addr", "inet_proto", "inet_service"], "handle": 2, "comment": "c", "flags": ["interval"], "elem": [{"elem": {"val": {"concat": [{"prefix": {"addr": "10.0.0.0", "len": 24}}, "tcp", {"range": [80, 81]}]}, "comment": "a; b +3 more"}}, {"elem": {"val": {"concat": ["10.0.1.5", "udp", 53]}, "comment": "x"}}, {"concat": [{"range": ["10.0.2.1", "10.0.2.9"]}, "sctp", 1000]}, {"concat": [{"prefix": {"addr": "0.0.0.0", "len": 0}}, "tcp", {"range": [0, 65535]}]}]}},
            {"set": {"family": "inet", "name": "m6", "table": "t2", "type": ["ipv6_addr", "inet_proto", "inet_service"], "handle": 3, "flags": ["interval"], "elem": [{"elem": {"val": {"concat": [{"prefix": {"addr": "fd00::", "len": 64}}, "tcp", {"range": [80, 81]}]}, "comment": "a"}}, {"concat": ["fd00:1::5", "udp", 53]}, {"concat": ["::ffff:1.2.3.4", "tcp", 1]}, {"concat": [{"range": ["fd00:2::1", "fd00:2::9"]}, "tcp", 7]}]}},
            {"set": {"family": "inet", "name": "d4", "table": "t2", "type": ["ipv4_addr", "inet_proto", "inet_service"], "handle": 4, "elem": [{"concat": ["10.0.0.2", "udp", 53]}, {"elem": {"val": {"concat": ["10.0.0.1", "tcp", 80]}, "comment": "p"}}]}},
            {"set": {"family": "inet", "name": "a6", "table": "t2", "type": "ipv6_addr", "handle": 5, "flags": ["interval"], "elem": [{"elem": {"val": {"prefix": {"addr": "::", "len": 0}}, "comment": "all"}}]}},
            {"set": {"family": "inet", "name": "i6", "table": "t2", "type": "ipv6_addr", "handle": 6, "flags": ["interval"], "elem": [{"elem": {"val": "fd00::1", "comment": "one"}}, {"range": ["fd00::2", "fd00::5"]}, {"prefix": {"addr": "fd00:9::", "len": 48}}]}},
            {"set": {"family": "inet", "name": "adj", "table": "t2", "type": "ipv4_addr", "handle": 7, "flags": ["interval"], "elem": [{"elem": {"val": {"prefix": {"addr": "10.0.0.0", "len": 24}}, "comment": "a"}}, {"elem": {"val": {"prefix": {"addr": "10.0.1.0", "len": 24}}, "comment": "b"}}, {"prefix": {"addr": "10.0.2.0", "len": 24}}]}},
            {"map": {"family": "inet", "name": "v6", "table": "t2", "type": "ipv6_addr", "handle": 8, "map": "verdict", "elem": [[{"elem": {"val": "fd00::1", "comment": "x/y"}}, {"jump": {"target": "c"}}], ["fd00::2", {"jump": {"target": "c"}}]]}},
            {"chain": {"family": "inet", "table": "t2", "name": "c", "handle": 1}},
            {"rule": {"family": "inet", "table": "t2", "chain": "c", "handle": 9, "comment": "r", "expr": [{"match": {"op": "==", "left": {"concat": [{"payload": {"protocol": "ip6", "field": "saddr"}}, {"meta": {"key": "l4proto"}}, {"payload": {"protocol": "th", "field": "dport"}}]}, "right": "@m6"}}, {"return": null}]}},
            {"rule": {"family": "inet", "table": "t2", "chain": "c", "handle": 11, "expr": [{"match": {"op": "==", "left": {"concat": [{"meta": {"key": "l4proto"}}, {"payload": {"protocol": "th", "field": "dport"}}]}, "right": {"set": [{"concat": ["tcp", 80]}, {"concat": ["udp", {"range": [53, 54]}]}]}}}, {"accept": null}]}},
            {"rule": {"family": "inet", "table": "t2", "chain": "c", "handle": 12, "expr": [{"counter": {"packets": 0, "bytes": 0}}, {"drop": null}]}}]}
            """;

    /** What was loaded to get {@link #FORMS} (and {@link #TEXT}). */
    static final String SCRIPT = """
            table inet t2 {
              comment "tbl"
              set m4 { type ipv4_addr . inet_proto . inet_service; flags interval; comment "c"
                elements = { 10.0.0.0/24 . tcp . 80-81 comment "a; b +3 more", 10.0.1.5 . udp . 53 comment "x",
                             10.0.2.1-10.0.2.9 . sctp . 1000, 0.0.0.0/0 . tcp . 0-65535 } }
              set m6 { type ipv6_addr . inet_proto . inet_service; flags interval;
                elements = { fd00::/64 . tcp . 80-81 comment "a", fd00:1::5 . udp . 53, ::ffff:1.2.3.4 . tcp . 1,
                             fd00:2::1-fd00:2::9 . tcp . 7 } }
              set d4 { type ipv4_addr . inet_proto . inet_service; elements = { 10.0.0.1 . tcp . 80 comment "p",
                       10.0.0.2 . udp . 53 } }
              set a6 { type ipv6_addr; flags interval; elements = { ::/0 comment "all" } }
              set i6 { type ipv6_addr; flags interval; elements = { fd00::1 comment "one", fd00::2-fd00::5, fd00:9::/48 } }
              set adj { type ipv4_addr; flags interval; elements = { 10.0.0.0/24 comment "a", 10.0.1.0/24 comment "b",
                        10.0.2.0/24 } }
              map v6 { type ipv6_addr : verdict; elements = { fd00::1 comment "x/y" : jump c, fd00::2 : jump c } }
              chain c { comment "chain c"; ip6 saddr . meta l4proto . th dport @m6 return comment "r";
                        meta l4proto . th dport { tcp . 80, udp . 53-54 } accept; counter drop; }
            }
            """;

    /** {@code nft -t list table inet t2}: what the table and chain comments are read from. */
    static final String TEXT = """
            table inet t2 {
            	comment "tbl"
            	set m4 {
            		type ipv4_addr . inet_proto . inet_service
            		flags interval
            		comment "c"
            	}

            	chain c {
            		comment "chain c"
            		ip6 saddr . meta l4proto . th dport @m6 return comment "r"
            		meta l4proto . th dport { tcp . 80, udp . 53-54 } accept
            		counter packets 0 bytes 0 drop
            	}
            }
            """;

    @Test
    void setsComeOutTypedAndInTheModelsOrder() {
        KernelTable table = KernelTableReader.parse(FORMS);

        assertThat(table.sets()).extracting(NamedSet::name).containsExactly("a6", "adj", "d4", "i6", "m4", "m6");
        assertThat(set(table, "m4")).isEqualTo(new NamedSet("m4",
                List.of(KeyType.IPV4_ADDR, KeyType.INET_PROTO, KeyType.INET_SERVICE), true, "c", List.of(
                        element("", cidr("0.0.0.0/0"), proto(Protocol.TCP), ports(0, 65535)),
                        element("a; b +3 more", cidr("10.0.0.0/24"), proto(Protocol.TCP), ports(80, 81)),
                        element("x", single("10.0.1.5"), proto(Protocol.UDP), ports(53, 53)),
                        element("", range("10.0.2.1", "10.0.2.9"), proto(Protocol.SCTP), ports(1000, 1000)))));
        assertThat(set(table, "m6").elements()).containsExactly(
                element("", single("::ffff:1.2.3.4"), proto(Protocol.TCP), ports(1, 1)),
                element("a", cidr("fd00::/64"), proto(Protocol.TCP), ports(80, 81)),
                element("", single("fd00:1::5"), proto(Protocol.UDP), ports(53, 53)),
                element("", range("fd00:2::1", "fd00:2::9"), proto(Protocol.TCP), ports(7, 7)));
        assertThat(set(table, "d4")).isEqualTo(new NamedSet("d4",
                List.of(KeyType.IPV4_ADDR, KeyType.INET_PROTO, KeyType.INET_SERVICE), false, "", List.of(
                        element("p", single("10.0.0.1"), proto(Protocol.TCP), ports(80, 80)),
                        element("", single("10.0.0.2"), proto(Protocol.UDP), ports(53, 53)))));
        assertThat(set(table, "a6")).isEqualTo(new NamedSet("a6", List.of(KeyType.IPV6_ADDR), true, "",
                List.of(element("all", cidr("::/0")))));
        assertThat(set(table, "i6").elements()).containsExactly(element("one", single("fd00::1")),
                element("", range("fd00::2", "fd00::5")), element("", cidr("fd00:9::/48")));
        assertThat(set(table, "adj").elements()).containsExactly(element("a", cidr("10.0.0.0/24")),
                element("b", cidr("10.0.1.0/24")), element("", cidr("10.0.2.0/24")));
    }

    @Test
    void verdictMapsComeOutWithTheirJumps() {
        KernelTable table = KernelTableReader.parse(FORMS);

        assertThat(table.maps()).containsExactly(new VerdictMap("v6", KeyType.IPV6_ADDR, "", List.of(
                new MapElement(IpAddress.parse("fd00::1"), "c", "x/y"),
                new MapElement(IpAddress.parse("fd00::2"), "c", ""))));
    }

    @Test
    void rulesAreDigestedInChainOrder() {
        KernelTable table = KernelTableReader.parse(FORMS);

        assertThat(table.chains()).extracting(KernelChain::digestsOnly).containsExactly(new KernelChain("c", Optional.empty(), "", List.of(
                new RuleDigest("r", List.of("m6"), "return"),
                new RuleDigest("", List.of(), "accept", List.of("tcp . 80, udp . 53-54")),
                new RuleDigest("", List.of(), "drop"))));
    }

    @Test
    void theTableAndChainCommentsComeFromTheTextListing() {
        KernelTable json = KernelTableReader.parse(FORMS);
        KernelTable both = KernelTableReader.parse(FORMS, TEXT);

        assertThat(json.comment()).isEmpty();
        assertThat(both.comment()).isEqualTo("tbl");
        assertThat(both.chains().get(0).comment()).isEqualTo("chain c");
        assertThat(both.sets()).isEqualTo(json.sets());
    }

    @Test
    void commentsInTheJsonAreTakenAsTheyAre() {
        // later libnftables versions print them: the JSON then wins
        KernelTable table = KernelTableReader.parse("""
                {"nftables": [{"table": {"family": "inet", "name": "t", "handle": 1, "comment": "from json"}},
                {"chain": {"family": "inet", "table": "t", "name": "c", "handle": 1, "comment": "chain json"}}]}
                """, "table inet t {\n\tcomment \"from text\"\n\tchain c {\n\t\tcomment \"chain text\"\n\t}\n}\n");

        assertThat(table.comment()).isEqualTo("from json");
        assertThat(table.chains()).containsExactly(new KernelChain("c", Optional.empty(), "chain json", List.of()));
    }

    @Test
    void baseChainsKeepTheirHookAndDispatchRulesDigestAsVmap() {
        KernelTable table = KernelTableReader.parse("""
                {"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}},
                {"table": {"family": "inet", "name": "nftpolicy", "handle": 1}},
                {"chain": {"family": "inet", "table": "nftpolicy", "name": "filter-forward", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}},
                {"chain": {"family": "inet", "table": "nftpolicy", "name": "egr-1", "handle": 3}},
                {"rule": {"family": "inet", "table": "nftpolicy", "chain": "filter-forward", "handle": 16, "comment": "egress of isolated local pods", "expr": [{"vmap": {"key": {"payload": {"protocol": "ip", "field": "saddr"}}, "data": "@egress-v4"}}]}},
                {"rule": {"family": "inet", "table": "nftpolicy", "chain": "filter-forward", "handle": 17, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "saddr"}}, "right": "@peer-b"}}, {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "@peer-a"}}, {"jump": {"target": "egr-1"}}]}},
                {"rule": {"family": "inet", "table": "nftpolicy", "chain": "egr-1", "handle": 18, "expr": [{"goto": {"target": "filter-forward"}}]}}]}
                """);

        assertThat(table.chains()).extracting(KernelChain::digestsOnly).containsExactly(
                new KernelChain("egr-1", Optional.empty(), "", List.of(new RuleDigest("", List.of(), "goto filter-forward"))),
                new KernelChain("filter-forward", Optional.of(new BaseHook("forward", 0)), "", List.of(
                        new RuleDigest("egress of isolated local pods", List.of("egress-v4"), "vmap"),
                        new RuleDigest("", List.of("peer-a", "peer-b"), "jump egr-1"))));
    }

    @Test
    void whatNftpolicyNeverWritesComesBackAsForeignSayingWhy() {
        String table = "{\"table\": {\"family\": \"inet\", \"name\": \"t\"}}";
        assertForeign(table + ", {\"flowtable\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"f\"}}",
                "flowtable", "f", "a flowtable: nftpolicy's table holds only");
        assertForeign(table + ", {\"set\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"s\", "
                + "\"type\": \"ether_addr\"}}", "set", "s", "at nftables[1].set.type: key type ether_addr");
        assertForeign(table + ", {\"map\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"m\", "
                + "\"type\": \"ipv4_addr\", \"map\": \"mark\"}}", "map", "m", "at nftables[1].map.map: a map to \"mark\"");
        assertForeign(table + ", {\"map\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"m\", "
                        + "\"type\": \"ipv4_addr\", \"map\": \"verdict\", \"elem\": [[\"10.0.0.1\", {\"accept\": null}]]}}",
                "map", "m", "at nftables[1].map.elem[0][1]: expected a jump to a chain, found {\"accept\":null}");
        assertForeign(table + ", {\"set\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"s\", "
                + "\"type\": [\"ipv4_addr\", \"inet_proto\"], \"elem\": [{\"concat\": [\"10.0.0.1\", \"icmp\"]}]}}",
                "set", "s", "at nftables[1].set.elem[0].concat[1]: expected tcp, udp or sctp, found \"icmp\"");
        assertForeign(table + ", {\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"c\", "
                        + "\"type\": \"filter\", \"hook\": \"forward\", \"prio\": 0, \"policy\": \"drop\"}}, "
                        + "{\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"c\", \"expr\": [{\"drop\": null}]}}",
                "chain", "c", "base chain of type \"filter\", policy \"drop\"");
        assertForeign(table + ", {\"set\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"s\", "
                + "\"type\": \"ipv4_addr\", \"flags\": [\"interval\", \"timeout\"]}}",
                "set", "s", "at nftables[1].set.flags: set flags [interval, timeout]");
    }

    @Test
    void aListingThatIsNoTableOfOursIsRefusedSayingWhere() {
        String table = "{\"table\": {\"family\": \"inet\", \"name\": \"t\"}}";
        assertRefused(table + ", {\"set\": {\"family\": \"inet\", \"table\": \"u\", \"name\": \"s\", "
                + "\"type\": \"ipv4_addr\"}}", "at nftables[1].set: belongs to table inet u, not to inet t");
        assertRefused(table + ", {\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"c\", \"expr\": []}}",
                "at nftables[1].rule: rule of chain t c, which the listing does not declare");
        assertRefused("{\"metainfo\": {}}", "at nftables: no table in the listing");
    }

    @Test
    void aDormantTableKeepsItsFlagsFromTheTextListingWhateverTheJsonSays() {
        // libnftables 1.0.6 prints the flags from freed memory
        String json = "{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"t\", \"handle\": 3, "
                + "\"flags\": \"Lester Gooch #5\"}}, {\"chain\": {\"family\": \"inet\", \"table\": \"t\", "
                + "\"name\": \"c\"}}]}";

        KernelTable table = KernelTableReader.parse(KernelTableReader.withoutTableFlags(json),
                "table inet t {\n\tflags dormant\n\tcomment \"c\"\n\tchain c {\n\t}\n}\n");

        assertThat(table.flags()).containsExactly("dormant");
        assertThat(table.comment()).isEqualTo("c");
        assertThat(table.chains()).extracting(KernelChain::name).containsExactly("c");
    }

    private static void assertForeign(String items, String kind, String name, String why) {
        KernelTable table = KernelTableReader.parse("{\"nftables\": [" + items + "]}");
        assertThat(table.foreign()).singleElement().satisfies(f -> {
            assertThat(f.kind()).isEqualTo(kind);
            assertThat(f.name()).isEqualTo(name);
            assertThat(f.what()).contains(why);
        });
        assertThat(table.sets()).isEmpty();
        assertThat(table.maps()).isEmpty();
        assertThat(table.chains()).isEmpty();
    }

    @Test
    void malformedJsonIsRefusedWithItsPosition() {
        assertThatThrownBy(() -> KernelTableReader.parse("{\"nftables\": [}"))
                .isInstanceOf(KernelTableFormatException.class)
                .hasMessageStartingWith("malformed JSON at line 1, column 15: Unexpected close marker '}'");
    }

    @Test
    void jsonThatIsNotStrictlyOneDocumentIsRefused() {
        assertThatThrownBy(() -> KernelTableReader.parse("{\"nftables\": [], \"nftables\": []}"))
                .isInstanceOf(KernelTableFormatException.class).hasMessageContaining("Duplicate field 'nftables'");
        assertThatThrownBy(() -> KernelTableReader.parse("{\"nftables\": []} []"))
                .isInstanceOf(KernelTableFormatException.class).hasMessageContaining("Trailing token");
        assertThatThrownBy(() -> KernelTableReader.parse("[".repeat(10_000) + "]".repeat(10_000)))
                .isInstanceOf(KernelTableFormatException.class).hasMessageContaining("nesting depth");
        assertThatThrownBy(() -> KernelTableReader.parse(null))
                .isInstanceOf(KernelTableFormatException.class).hasMessage("no JSON (null)");
    }

    private static void assertRefused(String items, String message) {
        assertThatThrownBy(() -> KernelTableReader.parse("{\"nftables\": [" + items + "]}"))
                .isInstanceOf(KernelTableFormatException.class).hasMessageContaining(message);
    }

    private static NamedSet set(KernelTable table, String name) {
        return table.sets().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    static SetElement element(String comment, KeyPart... key) {
        return new SetElement(List.of(key), List.of(), comment);
    }

    static KeyPart cidr(String cidr) {
        return new KeyPart.Addresses(Cidr.parse(cidr));
    }

    static KeyPart single(String address) {
        return new KeyPart.Addresses(IpRange.single(IpAddress.parse(address)));
    }

    static KeyPart range(String first, String last) {
        return new KeyPart.Addresses(new IpRange(IpAddress.parse(first), IpAddress.parse(last)));
    }

    static KeyPart proto(Protocol protocol) {
        return new KeyPart.Proto(protocol);
    }

    static KeyPart ports(int first, int last) {
        return new KeyPart.Ports(first, last);
    }
}

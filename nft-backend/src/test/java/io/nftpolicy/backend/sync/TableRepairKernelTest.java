package io.nftpolicy.backend.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import io.nftpolicy.testing.KernelTest;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Drift that a read-back by comment, sets and verdict used to miss, or that made every later apply refuse, found by
 * {@code verify} and repaired by the next apply (each a fresh applier, as a new {@code nftpolicy} process is), on the
 * real kernel: rules edited in their match while they keep their comment, a dormant table, and chains, sets and
 * other objects someone else put into the table. The table is a hand-made one with what the compiler writes
 * (anonymous sets with intervals and concatenations, a verdict map, {@code ct mark} statements that nft lists in
 * another form than it reads), so that it does not depend on the compiler's base chains. Needs root.
 */
@KernelTest
class TableRepairKernelTest {
    private static final Ruleset RULESET = new Ruleset(Ruleset.FAMILY, Ruleset.TABLE, "repair test",
            List.of(new NamedSet("peer-a", List.of(KeyType.IPV4_ADDR), false, "peers",
                    List.of(new SetElement(List.of(new KeyPart.Addresses(IpRange.single(IpAddress.parse("10.244.1.5")))), List.of(), "dev/a")))),
            List.of(new VerdictMap("ingress-v4", KeyType.IPV4_ADDR, "dispatch",
                    List.of(new MapElement(IpAddress.parse("10.244.1.10"), "grp-a", "dev/db")))),
            List.of(new Chain("filter-forward", Optional.of(new BaseHook("forward", 0)), "base", List.of(
                            Rule.of("ct state established,related accept", "established"),
                            Rule.of("ct mark set ct mark and 0xff or 0x300", "stamp"),
                            Rule.of("ct direction original ct mark & 0xfffff000 == 0x1000 accept", "same generation"),
                            Rule.of("ip daddr vmap @ingress-v4", "dispatch"))),
                    new Chain("grp-a", Optional.empty(), "group a", List.of(
                            Rule.of("ip saddr @peer-a accept", "from peers"),
                            Rule.of("ip saddr @peer-a meta l4proto . th dport { tcp . 80-81, udp . 53 } accept",
                                    "ports"),
                            Rule.of("ip saddr { 10.1.0.0/16, 192.168.0.0-192.168.0.9 } accept", "blocks"),
                            Rule.of("drop", "default deny")))));

    private NetworkNamespace ns;
    private LibnftablesExecutor executor;

    @BeforeEach
    void applied() throws Exception {
        ns = NetworkNamespace.create("nftt-repair");
        executor = LibnftablesExecutor.openInNamespace(ns.name());
        new RulesetApplier(executor).apply(RULESET);
    }

    @AfterEach
    void close() {
        if (executor != null) {
            executor.close();
        }
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void anUntouchedTableVerifiesCleanAndReappliesAsNothing() throws Exception {
        assertThat(new RulesetApplier(executor).verify(RULESET).differences()).isEmpty();
        assertThat(new RulesetApplier(executor).apply(RULESET).operations()).isZero();
    }

    @ParameterizedTest(name = "{0}: {2}")
    @CsvSource(delimiter = '|', value = {
        "filter-forward | established  | ct state established,related,new accept",
        "grp-a          | from peers   | ip saddr != @peer-a accept",
        "grp-a          | default deny | meta mark 0x00000001 drop",
        "grp-a          | ports        | ip saddr @peer-a meta l4proto . th dport { tcp . 80-82, udp . 53 } accept",
        "filter-forward | stamp        | ct mark set ct mark & 0x000000ff | 0x00000400",
    })
    void aRuleEditedInItsMatchIsReportedAndRepaired(String chain, String comment, String edited) throws Exception {
        ns.load("replace rule inet nftpolicy " + chain + " handle " + handle(chain, comment) + " " + edited
                + " comment \"" + comment + "\"\n");

        Drift drift = new RulesetApplier(executor).verify(RULESET);
        ApplyResult repair = new RulesetApplier(executor).apply(RULESET);

        assertThat(drift.differences()).singleElement().asString().startsWith("chain " + chain + ": rule ")
                .contains(comment);
        assertThat(repair.operations()).isPositive();
        assertThat(new RulesetApplier(executor).verify(RULESET).differences()).isEmpty();
    }

    @Test
    void aDormantTableIsReportedAndSwitchedBackOn() throws Exception {
        ns.load("add table inet nftpolicy { flags dormant; }\n");

        Drift drift = new RulesetApplier(executor).verify(RULESET);
        ApplyResult repair = new RulesetApplier(executor).apply(RULESET);

        assertThat(drift.differences()).containsExactly("table inet nftpolicy: flags dormant in the kernel, none "
                + "expected (dormant: its base chains are off, nothing is filtered)");
        assertThat(repair.operations()).isEqualTo(1);
        assertThat(ns.nft("list", "table", "inet", "nftpolicy")).doesNotContain("dormant");
        assertThat(new RulesetApplier(executor).verify(RULESET).differences()).isEmpty();
    }

    @Test
    void foreignChainsSetsAndObjectsAreDeletedWithWhatRefersToThem() throws Exception {
        ns.load("""
                add chain inet nftpolicy nat-out { type nat hook postrouting priority 100; }
                add chain inet nftpolicy strict { type filter hook input priority 5; policy drop; }
                add set inet nftpolicy macs { type ether_addr; flags timeout; }
                add map inet nftpolicy marks { type ipv4_addr : mark; }
                add counter inet nftpolicy hits
                add chain inet nftpolicy theirs
                add rule inet nftpolicy theirs counter name hits
                add rule inet nftpolicy nat-out jump theirs
                add rule inet nftpolicy strict ether saddr @macs accept
                add rule inet nftpolicy strict meta mark set ip saddr map @marks
                """);
        // one of our rules edited to jump to a foreign chain, and one added to another of ours
        ns.load("replace rule inet nftpolicy grp-a handle " + handle("grp-a", "default deny")
                + " jump theirs comment \"default deny\"\n"
                + "add rule inet nftpolicy filter-forward ether saddr @macs drop\n");

        Drift drift = new RulesetApplier(executor).verify(RULESET);
        ApplyResult repair = new RulesetApplier(executor).apply(RULESET);

        assertThat(drift.differences()).contains(
                "chain nat-out: not nftpolicy's (base chain of type \"nat\", policy \"accept\": nftpolicy's base "
                        + "chains are type filter, policy accept)",
                "counter hits: not nftpolicy's (a counter: nftpolicy's table holds only sets, verdict maps, chains "
                        + "and rules)",
                "chain theirs: not in the model");
        assertThat(drift.differences()).anyMatch(d -> d.startsWith("chain strict: not nftpolicy's"))
                .anyMatch(d -> d.startsWith("set macs: not nftpolicy's"))
                .anyMatch(d -> d.startsWith("map marks: not nftpolicy's"))
                .anyMatch(d -> d.startsWith("chain grp-a: rule 4"))
                .anyMatch(d -> d.startsWith("chain filter-forward: "));
        assertThat(repair.operations()).isPositive();
        assertThat(new RulesetApplier(executor).verify(RULESET).differences()).isEmpty();
        assertThat(ns.nft("list", "table", "inet", "nftpolicy")).doesNotContain("nat-out", "strict", "macs",
                "marks", "hits", "theirs");
    }

    /** The handle of the rule of {@code chain} with this comment, from {@code nft -a}. */
    private long handle(String chain, String comment) {
        Matcher m = Pattern.compile("comment \"" + Pattern.quote(comment) + "\" # handle (\\d+)")
                .matcher(ns.nft("-a", "list", "chain", "inet", "nftpolicy", chain));
        assertThat(m.find()).as("rule \"%s\" in chain %s", comment, chain).isTrue();
        return Long.parseLong(m.group(1));
    }
}

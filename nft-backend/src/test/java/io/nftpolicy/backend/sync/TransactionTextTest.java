package io.nftpolicy.backend.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How {@link Transaction}s are written as nft text: the one place that renders them. */
class TransactionTextTest {

    private static SetElement address(String ip, String comment) {
        return new SetElement(List.of(new KeyPart.Addresses(IpRange.single(IpAddress.parse(ip)))), List.of(), comment);
    }

    @Test
    void writesEachOperationAsOneNftCommandOnTheOneTable() {
        Transaction tx = new Transaction()
                .addTable("Kubernetes NetworkPolicy, compiled by nftpolicy")
                .addSet(new NamedSet("peer-1234abcd-v4", List.of(KeyType.IPV4_ADDR), false, "pods role=frontend in namespace dev", List.of()))
                .addSet(new NamedSet("egr-x-ports-v4", List.of(KeyType.IPV4_ADDR, KeyType.INET_PROTO, KeyType.INET_SERVICE), true, "", List.of()))
                .addMap(new VerdictMap("ingress-v4", KeyType.IPV4_ADDR, "local pods isolated for ingress", List.of()))
                .addElements("peer-1234abcd-v4", List.of(address("10.244.1.6", "dev/fe"), address("10.244.1.7", "")))
                .addElements("egr-x-ports-v4", List.of(new SetElement(List.of(
                        new KeyPart.Addresses(IpRange.prefix(IpAddress.parse("10.1.0.0"), 16)),
                        new KeyPart.Proto(Protocol.TCP), new KeyPart.Ports(8000, 8999)),
                        List.of(new Source("dev/web", PolicyType.EGRESS, 0, 1)))))
                .deleteElements("peer-1234abcd-v4", List.of(List.of(new KeyPart.Addresses(IpRange.single(IpAddress.parse("10.244.1.9"))))))
                .addChain("filter-forward", Optional.of(new BaseHook("forward", 0)), "pod traffic")
                .addChain("ing-1-dev_db", Optional.empty(), "ingress of pods selected by dev/db")
                .addChain("bare", Optional.empty(), "")
                .flushChain("ing-1-dev_db")
                .addRule("ing-1-dev_db", Rule.of("ip saddr @peer-1234abcd-v4 accept", "dev/db ingress[0].from[0]"))
                .addRule("ing-1-dev_db", Rule.of("drop", ""))
                .addMapElements("ingress-v4", List.of(new MapElement(IpAddress.parse("10.244.1.10"), "ing-1-dev_db", "dev/db")))
                .delete(Keys.key("ingress-v4", "10.244.1.11"))
                .create(NftObject.Chain.named("made"))
                .insert(new NftObject.Rule("made", Rule.of("accept", "first")))
                .flush(NftObject.Set.named("peer-1234abcd-v4"))
                .delete(new NftObject.Foreign("flowtable", "ft"))
                .deleteChain("bare")
                .deleteSet("egr-x-ports-v4")
                .deleteMap("ingress-v4");

        assertThat(tx.render()).isEqualTo("""
                add table inet nftpolicy { comment "Kubernetes NetworkPolicy, compiled by nftpolicy"; }
                add set inet nftpolicy peer-1234abcd-v4 { type ipv4_addr; comment "pods role=frontend in namespace dev"; }
                add set inet nftpolicy egr-x-ports-v4 { type ipv4_addr . inet_proto . inet_service; flags interval; }
                add map inet nftpolicy ingress-v4 { type ipv4_addr : verdict; comment "local pods isolated for ingress"; }
                add element inet nftpolicy peer-1234abcd-v4 { 10.244.1.6 comment "dev/fe", 10.244.1.7 }
                add element inet nftpolicy egr-x-ports-v4 { 10.1.0.0/16 . tcp . 8000-8999 comment "dev/web egress[0].to[1]" }
                delete element inet nftpolicy peer-1234abcd-v4 { 10.244.1.9 }
                add chain inet nftpolicy filter-forward { type filter hook forward priority 0; policy accept; comment "pod traffic"; }
                add chain inet nftpolicy ing-1-dev_db { comment "ingress of pods selected by dev/db"; }
                add chain inet nftpolicy bare
                flush chain inet nftpolicy ing-1-dev_db
                add rule inet nftpolicy ing-1-dev_db ip saddr @peer-1234abcd-v4 accept comment "dev/db ingress[0].from[0]"
                add rule inet nftpolicy ing-1-dev_db drop
                add element inet nftpolicy ingress-v4 { 10.244.1.10 comment "dev/db" : jump ing-1-dev_db }
                delete element inet nftpolicy ingress-v4 { 10.244.1.11 }
                create chain inet nftpolicy made
                insert rule inet nftpolicy made accept comment "first"
                flush set inet nftpolicy peer-1234abcd-v4
                delete flowtable inet nftpolicy ft
                delete chain inet nftpolicy bare
                delete set inet nftpolicy egr-x-ports-v4
                delete map inet nftpolicy ingress-v4
                """);
    }

    @Test
    void batchesConsecutiveElementsOfOneSetIntoCommandsOfBoundedSize() {
        List<SetElement> elements = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            elements.add(address("10.1." + (i / 250) + "." + (i % 250), "ns/pod-" + i));
        }
        Transaction tx = new Transaction()
                .addElements("peer-1-v4", elements.subList(0, 1200))
                .addElements("peer-1-v4", elements.subList(1200, 2500));

        assertThat(tx.operations()).isEqualTo(2500);
        assertThat(tx.commands()).hasSize(3)
                .allSatisfy(c -> assertThat(c).startsWith("add element inet nftpolicy peer-1-v4 { ").endsWith(" }")
                        .hasSizeLessThanOrEqualTo(TransactionText.MAX_COMMAND_BYTES));
        assertThat(String.join("", tx.commands())).contains("10.1.9.249 comment \"ns/pod-2499\"");
    }

    @Test
    void cutsLongCommentedElementListsByBytesToo() {
        String comment = "x".repeat(120);
        List<SetElement> elements = new ArrayList<>();
        for (int i = 0; i < 900; i++) {
            elements.add(address("10.2." + (i / 250) + "." + (i % 250), comment));
        }
        List<String> commands = new Transaction().addElements("s", elements).commands();

        assertThat(commands).hasSizeGreaterThan(1)
                .allSatisfy(c -> assertThat(c.length()).isLessThanOrEqualTo(TransactionText.MAX_COMMAND_BYTES));
    }
}

package io.nftpolicy.backend.kernel;

import static io.nftpolicy.testing.Clusters.cluster;
import static io.nftpolicy.testing.Clusters.pod;
import static io.nftpolicy.testing.Policies.all;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.policy;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.libnftables.NftablesException;
import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.Compilation;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import io.nftpolicy.testing.KernelTest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The read-back against the kernel: compiled rulesets are loaded with {@code nft -f} into a fresh namespace, read
 * back through {@link Nftables#listTableJson} and {@link KernelTableReader}, and compared with the model: sets and
 * maps exactly (comments as the renderer writes them: shortened to 127 bytes, merged elements' comments from their
 * sources), and every chain's digests with {@link RuleDigest#of} of the model's rules.
 */
@KernelTest
class KernelReadBackTest {
    private static final String NODE1 = "node-1";
    private static final String NODE2 = "node-2";

    private NetworkNamespace ns;
    private Nftables nft;

    @BeforeEach
    void open() throws NftablesException {
        ns = NetworkNamespace.create("nftt-rb");
        nft = ns.nftables();
    }

    @AfterEach
    void close() {
        if (ns != null) {
            ns.close();
        }
    }

    // ---- the snapshots ----

    @Test
    void aGeneratedClusterReadsBackAsCompiled() throws NftablesException {
        ClusterSnapshot snapshot = ClusterGenerator.generate(new ClusterGenerator.Size(4, 12, 2, 6, 42L));

        Ruleset model = compile(snapshot, ClusterGenerator.nodeName(0));

        assertThat(model.ruleCount()).isGreaterThan(10);
        assertThat(model.sets()).anyMatch(s -> s.name().startsWith("dst-"));
        assertReadsBackAsCompiled(model);
    }

    @Test
    void ingressAndEgressWithNamedPortsIpBlocksAndIpv6ReadBackAsCompiled() throws NftablesException {
        Ruleset model = compile(handMade(List.of()), NODE1);

        assertThat(model.sets()).extracting(NamedSet::name)
                .anyMatch(n -> n.startsWith("peer-") && n.endsWith("-v6"))
                .anyMatch(n -> n.startsWith("block-") && n.endsWith("-v6"))
                .anyMatch(n -> n.startsWith("dst-"));
        assertThat(model.maps()).allMatch(m -> !m.elements().isEmpty());
        assertReadsBackAsCompiled(model);
        // Sets of one peer carry no sources: the kernel's copy equals the model's record for record.
        KernelTable read = KernelTableReader.read(nft).orElseThrow();
        for (NamedSet set : model.sets()) {
            if (set.elements().stream().allMatch(e -> e.sources().isEmpty())) {
                assertThat(read.sets()).contains(set);
            }
        }
    }

    @Test
    void mergedSetsReadBackAsCompiledWithTheirElementsProvenance() throws NftablesException {
        // twelve policies naming 24 ipBlocks for egress: more rules than a chain may hold, so the group's chain
        // merges them; the block and port they all name is one cell with twelve sources
        List<NetworkPolicy> many = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            many.add(policy("dev/allow-from-production-workloads-number-" + i, labels("app=db"), List.of("Ingress",
                    "Egress"), List.of(new PolicyRule(List.of(PolicyPeer.namespaces(labels("team=b"))),
                    i % 2 == 0 ? List.of() : List.of(PolicyPort.of("TCP", 7000 + i), PolicyPort.range("UDP", 100, 200)))),
                    List.of(new PolicyRule(List.of(PolicyPeer.ipBlock("192.0.2." + (i * 8) + "/29"),
                            PolicyPeer.ipBlock("2001:db8::" + Integer.toHexString(i) + ":0/112"),
                            PolicyPeer.ipBlock("198.51.100.0/24")),
                            List.of(PolicyPort.named("TCP", "http"), PolicyPort.of("SCTP", 9000 + i),
                                    PolicyPort.of("TCP", 443))))));
        }
        Ruleset model = compile(handMade(many), NODE1);

        List<NamedSet> merged = model.sets().stream().filter(s -> s.name().contains("-any-") || s.name().contains("-ports-"))
                .toList();
        assertThat(merged).isNotEmpty();
        assertThat(merged).flatExtracting(NamedSet::elements).anyMatch(e -> e.sources().size() > 4);
        assertThat(merged).flatExtracting(NamedSet::elements)
                .anyMatch(e -> NftRenderer.sourcesComment(e.sources()).contains(" more"));
        assertReadsBackAsCompiled(model);
    }

    @Test
    void longNamesAreReadBackShortenedAsTheRendererWroteThem() throws NftablesException {
        String name = "a-policy-whose-name-is-far-longer-than-anything-a-kernel-comment-can-hold-"
                + "because-kubernetes-allows-names-of-up-to-two-hundred-and-fifty-three-characters";
        Ruleset model = compile(handMade(List.of(policy("dev/" + name, labels("app=db"), List.of("Ingress"),
                List.of(new PolicyRule(List.of(PolicyPeer.pods(labels("app=web"))), List.of())), List.of()))),
                NODE1);

        assertThat(model.chains()).flatExtracting(Chain::rules).extracting(Rule::comment)
                .anyMatch(c -> c.length() > 127);
        assertReadsBackAsCompiled(model);
    }

    @Test
    void anElementDeletedByHandIsMissingFromTheReadBackAndNothingElse() throws NftablesException {
        Ruleset model = compile(handMade(List.of()), NODE1);
        ns.load(NftRenderer.render(model));
        NamedSet peers = model.sets().stream().filter(s -> !s.interval() && s.elements().size() >= 2).findFirst()
                .orElseThrow();
        SetElement gone = peers.elements().get(1);
        NamedSet blocks = model.sets().stream().filter(s -> s.interval() && s.elements().size() >= 2).findFirst()
                .orElseThrow();
        SetElement goneRange = blocks.elements().get(0);

        ns.nft("delete", "element", "inet", "nftpolicy", peers.name(), "{", gone.keyToNft(), "}");
        ns.nft("delete", "element", "inet", "nftpolicy", blocks.name(), "{", goneRange.keyToNft(), "}");

        KernelTable read = KernelTableReader.read(nft).orElseThrow();
        KernelTable expected = ModelView.of(model);
        assertThat(set(read, peers.name()).elements())
                .containsExactlyElementsOf(without(set(expected, peers.name()).elements(), gone));
        assertThat(set(read, blocks.name()).elements())
                .containsExactlyElementsOf(without(set(expected, blocks.name()).elements(), goneRange));
        assertThat(read.sets().stream().filter(s -> !s.name().equals(peers.name()) && !s.name().equals(blocks.name())))
                .containsExactlyElementsOf(expected.sets().stream()
                        .filter(s -> !s.name().equals(peers.name()) && !s.name().equals(blocks.name())).toList());
        assertThat(read.maps()).isEqualTo(expected.maps());
        assertThat(read.chains()).extracting(KernelChain::digestsOnly).isEqualTo(expected.chains());
    }

    @Test
    void aMissingTableReadsBackAsNone() throws NftablesException {
        assertThat(KernelTableReader.read(nft)).isEmpty();
    }

    @Test
    void theSamplesOfTheUnitTestAreWhatThisKernelPrints() throws NftablesException {
        ns.load(KernelTableReaderTest.SCRIPT);

        assertThat(KernelTableReader.parse(nft.listTableJson("inet", "t2").orElseThrow()))
                .isEqualTo(KernelTableReader.parse(KernelTableReaderTest.FORMS));
        assertThat(KernelTableReader.read(nft, "inet", "t2")).contains(
                KernelTableReader.parse(KernelTableReaderTest.FORMS, KernelTableReaderTest.TEXT));
    }

    // ---- comparing ----

    private void assertReadsBackAsCompiled(Ruleset model) throws NftablesException {
        ns.load(NftRenderer.render(model));

        KernelTable read = KernelTableReader.read(nft).orElseThrow();

        KernelTable expected = ModelView.of(model);
        assertThat(read.comment()).isEqualTo(model.comment());
        assertThat(read.sets()).extracting(NamedSet::name).containsExactlyElementsOf(
                model.sets().stream().map(NamedSet::name).sorted().toList());
        for (NamedSet set : expected.sets()) {
            assertThat(set(read, set.name())).as("set %s", set.name()).isEqualTo(set);
        }
        assertThat(read.maps()).isEqualTo(expected.maps());
        Map<String, KernelChain> chains = read.chains().stream()
                .collect(Collectors.toMap(KernelChain::name, Function.identity()));
        assertThat(chains.keySet()).containsExactlyInAnyOrderElementsOf(
                model.chains().stream().map(Chain::name).toList());
        for (Chain chain : model.chains()) {
            KernelChain kernel = chains.get(chain.name());
            assertThat(kernel.rules()).as("digests of chain %s", chain.name())
                    .isEqualTo(chain.rules().stream().map(RuleDigest::of).toList());
            assertThat(kernel.hook()).as("hook of chain %s", chain.name()).isEqualTo(chain.hook());
            assertThat(kernel.comment()).as("comment of chain %s", chain.name())
                    .isEqualTo(ModelView.kernelComment(chain.comment()));
        }
        assertThat(new KernelTable(read.comment(), read.sets(), read.maps(),
                read.chains().stream().map(KernelChain::digestsOnly).toList())).isEqualTo(expected);
    }

    private static NamedSet set(KernelTable table, String name) {
        return table.sets().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    private static List<SetElement> without(List<SetElement> elements, SetElement gone) {
        List<KeyPart> key = gone.key();
        List<SetElement> out = elements.stream().filter(e -> !e.key().equals(key)).toList();
        assertThat(out).hasSize(elements.size() - 1);
        return out;
    }

    private static Ruleset compile(ClusterSnapshot snapshot, String node) {
        Compilation compilation = new PolicyCompiler().compile(snapshot, node);
        assertThat(compilation.diagnostics()).isEmpty();
        return compilation.ruleset();
    }

    /**
     * Two namespaces on two nodes, dual-stack pods with named ports, and policies with every kind of peer and
     * port, in both directions; plus {@code extra} policies.
     */
    private static ClusterSnapshot handMade(List<NetworkPolicy> extra) {
        List<ContainerPort> db = List.of(ContainerPort.named("redis", 6379, Protocol.TCP),
                ContainerPort.named("http", 8080, Protocol.TCP));
        List<ContainerPort> web = List.of(ContainerPort.named("http", 8080, Protocol.TCP),
                ContainerPort.named("dns", 53, Protocol.UDP));
        List<ContainerPort> api = List.of(ContainerPort.named("http", 80, Protocol.TCP),
                ContainerPort.named("dns", 5353, Protocol.UDP), ContainerPort.named("http", 81, Protocol.TCP));
        return cluster().namespace("dev", "team=a").namespace("prod", "team=b")
                .pod(pod("dev/db-0").on(NODE1).labels("app=db").ports(db).ips("10.244.1.10", "fd00:10:244:1::10"))
                .pod(pod("dev/db-1").on(NODE1).labels("app=db").ports(db).ips("10.244.1.12", "fd00:10:244:1::12"))
                .pod(pod("dev/web-0").on(NODE1).labels("app=web").ports(web).ips("10.244.1.11", "fd00:10:244:1::11"))
                .pod(pod("dev/web-1").on(NODE2).labels("app=web").ports(web).ips("10.244.2.11", "fd00:10:244:2::11"))
                .pod(pod("dev/client").on(NODE2).labels("app=client").ips("10.244.2.12"))
                .pod(pod("prod/api-0").on(NODE2).labels("app=api").ports(api).ips("10.244.2.5", "fd00:10:244:2::5"))
                .pod(pod("prod/api-1").on(NODE1).labels("app=api").ports(api).ips("10.244.1.5", "fd00:10:244:1::5"))
                .pod(pod("prod/batch").on(NODE1).labels("app=batch").ips("fd00:10:244:1::7"))
                .policy(policy("dev/db", labels("app=db"), List.of("Ingress"), List.of(
                        new PolicyRule(List.of(PolicyPeer.pods(labels("app=web")),
                                PolicyPeer.namespaces(labels("team=b")),
                                PolicyPeer.ipBlock("172.17.0.0/16", "172.17.1.0/24"),
                                PolicyPeer.ipBlock("fd00:99::/64", "fd00:99::/80")),
                                List.of(PolicyPort.named("TCP", "redis"), PolicyPort.range("TCP", 6380, 6390),
                                        PolicyPort.of("UDP", 53), PolicyPort.of("SCTP", 9000))),
                        new PolicyRule(List.of(PolicyPeer.podsInNamespaces(labels("app=api"), labels("team=b"))),
                                List.of())), List.of()))
                .policy(policy("dev/web", labels("app=web"), List.of("Egress"), List.of(), List.of(
                        new PolicyRule(List.of(PolicyPeer.namespaces(labels("team=b"))),
                                List.of(PolicyPort.named("TCP", "http"), PolicyPort.named("UDP", "dns"))),
                        new PolicyRule(List.of(PolicyPeer.ipBlock("10.0.0.0/8", "10.244.0.0/16"),
                                PolicyPeer.ipBlock("::/0", "fd00::/8")), List.of(PolicyPort.of("TCP", 443))),
                        new PolicyRule(List.of(), List.of(PolicyPort.of("UDP", 53))))))
                .policy(policy("prod/deny-all", all(), List.of("Ingress", "Egress"), List.of(), List.of()))
                .policy(extra.toArray(NetworkPolicy[]::new))
                .snapshot();
    }

    /**
     * A model as the kernel will list it: comments shortened as the renderer writes them, merged elements' comments
     * made of their sources, no sources kept; sets, maps and chains by name, elements in the model's order.
     */
    static final class ModelView {
        private ModelView() {}

        static KernelTable of(Ruleset model) {
            List<NamedSet> sets = model.sets().stream()
                    .map(s -> new NamedSet(s.name(), s.keyType(), s.interval(), kernelComment(s.comment()),
                            s.elements().stream().map(e -> new SetElement(e.key(), List.of(), kernelComment(
                                    e.comment().isEmpty() ? NftRenderer.sourcesComment(e.sources()) : e.comment())))
                                    .sorted().toList()))
                    .sorted(Comparator.comparing(NamedSet::name)).toList();
            List<VerdictMap> maps = model.maps().stream()
                    .map(m -> new VerdictMap(m.name(), m.keyType(), kernelComment(m.comment()), m.elements().stream()
                            .map(e -> new MapElement(e.key(), e.chain(), kernelComment(e.comment()))).sorted().toList()))
                    .sorted(Comparator.comparing(VerdictMap::name)).toList();
            List<KernelChain> chains = model.chains().stream()
                    .map(c -> new KernelChain(c.name(), c.hook(), kernelComment(c.comment()),
                            c.rules().stream().map(RuleDigest::of).toList()))
                    .sorted(Comparator.comparing(KernelChain::name)).toList();
            return new KernelTable(kernelComment(model.comment()), sets, maps, chains);
        }

        /** What the kernel keeps of a comment the renderer writes. */
        static String kernelComment(String text) {
            String rendered = NftRenderer.renderRule(Rule.of("", text));
            return rendered.isEmpty() ? "" : rendered.substring(" comment \"".length(), rendered.length() - 1);
        }
    }
}

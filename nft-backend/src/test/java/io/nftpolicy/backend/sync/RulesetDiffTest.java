package io.nftpolicy.backend.sync;

import static io.nftpolicy.backend.sync.TestClusters.compile;
import static io.nftpolicy.backend.sync.TestClusters.demo;
import static io.nftpolicy.testing.Clusters.cluster;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.withIngress;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.sync.NftObject.Verb;
import io.nftpolicy.backend.sync.Transaction.Operation;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.PodFixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What {@link RulesetDiff} sends for the changes the agent sees, on the README's demo cluster. Each transaction is
 * also run on the fake kernel, which refuses what the kernel would refuse, and must leave exactly the model.
 */
class RulesetDiffTest {
    private final FakeNft kernel = new FakeNft();

    /** Loads {@code committed} into the fake, then runs the diff to {@code desired} and checks the result. */
    private Transaction applyChange(Ruleset committed, Ruleset desired) throws ApplyException {
        kernel.run(RulesetDiff.between(TableState.absent(), committed));
        Transaction tx = RulesetDiff.between(TableState.committed(committed), desired);
        kernel.run(tx);
        assertThat(NftRenderer.render(kernel.ruleset().orElseThrow()))
                .isEqualTo(NftRenderer.render(FakeNft.normalized(desired)));
        return tx;
    }

    private static String setNamed(Ruleset ruleset, String comment) {
        return ruleset.sets().stream().filter(s -> s.comment().equals(comment)).map(NamedSet::name).findFirst()
                .orElseThrow();
    }

    private static String chainFor(Ruleset ruleset, String prefix, String policy) {
        return ruleset.chains().stream().map(Chain::name)
                .filter(n -> n.startsWith(prefix) && n.endsWith(policy)).findFirst().orElseThrow();
    }

    @Test
    void identicalRulesetsGiveAnEmptyTransaction() {
        Ruleset ruleset = compile(demo());

        Transaction tx = RulesetDiff.between(TableState.committed(ruleset), compile(demo()));

        assertThat(tx.isEmpty()).isTrue();
        assertThat(tx.operations()).isZero();
        assertThat(tx.render()).isEmpty();
    }

    @Test
    void firstApplyCreatesEverythingInDependencyOrder() throws ApplyException {
        Ruleset ruleset = compile(demo());

        Transaction tx = RulesetDiff.between(null, ruleset);
        kernel.run(tx);

        List<String> commands = tx.commands();
        assertThat(commands.get(0)).isEqualTo("add table inet nftpolicy { comment \"Kubernetes NetworkPolicy, compiled by nftpolicy\"; }");
        assertThat(kinds(commands)).containsExactly("add table", "add set", "add map", "add element", "add chain",
                "add rule", "add element");
        assertThat(commands).contains(
                "add element inet nftpolicy peer-9a3bd8b3-v4 { 10.244.1.11 comment \"dev/frontend\" }",
                "add element inet nftpolicy block-1b2c0c61-v4 { 172.17.0.0/24, 172.17.2.0-172.17.255.255 }",
                "add chain inet nftpolicy filter-forward { type filter hook forward priority 0; policy accept; "
                        + "comment \"pod traffic crossing this node: egress of local pods, then ingress of local pods\"; }",
                "add element inet nftpolicy " + setNamed(ruleset, "ports tcp . 6379") + " { tcp . 6379 }",
                "add rule inet nftpolicy ing-e2d199a7-dev_test-network-policy ip saddr @peer-9a3bd8b3-v4 meta l4proto . "
                        + "th dport @" + setNamed(ruleset, "ports tcp . 6379")
                        + " accept comment \"dev/test-network-policy ingress[0].from[2]\"");
        assertThat(commands.get(commands.size() - 1)).isEqualTo("add element inet nftpolicy egress-v4 { 10.244.1.10 "
                + "comment \"dev/db\" : jump egr-fdc9e1ef-dev_test-network-policy }");
        assertThat(NftRenderer.render(kernel.ruleset().orElseThrow()))
                .isEqualTo(NftRenderer.render(FakeNft.normalized(ruleset)));
    }

    @Test
    void aNewPeerPodIsOneElementInOnePeerSet() throws ApplyException {
        Ruleset before = compile(demo());
        Ruleset after = compile(cluster(demo()).pod("dev/frontend-2", "node-2", "10.244.2.30", "role=frontend").snapshot());

        Transaction tx = applyChange(before, after);

        String set = setNamed(before, "pods role=frontend in namespace dev");
        assertThat(tx.steps()).containsExactly(add(Keys.element(set, "10.244.2.30", "dev/frontend-2")));
        assertThat(tx.operations()).isEqualTo(1);
    }

    @Test
    void aPodMovingToAnotherChainIsAMapDeleteThenAdd() throws ApplyException {
        NetworkPolicy cache = ingress("dev/cache-policy", labels("role=cache"),
                new PolicyRule(List.of(PolicyPeer.pods(labels("role=frontend"))), List.of(PolicyPort.tcp(11211))));
        ClusterSnapshot cluster = cluster(demo()).policy(cache)
                .pod("dev/db-2", "node-1", "10.244.1.12", "role=db")
                .pod("dev/cache-1", "node-1", "10.244.1.13", "role=cache").snapshot();
        Ruleset before = compile(cluster);
        Ruleset after = compile(cluster(cluster).relabel("dev/db-2", "role=cache").snapshot());

        Transaction tx = applyChange(before, after);

        assertThat(tx.steps()).containsExactly(
                delete(Keys.key("ingress-v4", "10.244.1.12")),
                delete(Keys.key("egress-v4", "10.244.1.12")),
                add(Keys.jump("ingress-v4", "10.244.1.12", "dev/db-2", chainFor(after, "ing-", "dev_cache-policy"))));
    }

    @Test
    void aRemovedPolicyDeletesItsChainsAndSetsAfterTheMapElementsThatJumpedThere() throws ApplyException {
        Ruleset before = compile(demo());
        Ruleset after = compile(cluster(demo()).withoutPolicy("dev/test-network-policy").snapshot());

        Transaction tx = applyChange(before, after);

        assertThat(tx.steps()).containsExactly(
                delete(Keys.key("ingress-v4", "10.244.1.10")),
                delete(Keys.key("egress-v4", "10.244.1.10")),
                delete(NftObject.Chain.named("egr-fdc9e1ef-dev_test-network-policy")),
                delete(NftObject.Chain.named("ing-e2d199a7-dev_test-network-policy")),
                delete(NftObject.Set.named("block-1b2c0c61-v4")),
                delete(NftObject.Set.named("block-9b9fd711-v4")),
                delete(NftObject.Set.named("peer-1d2b870c-v4")),
                delete(NftObject.Set.named("peer-9a3bd8b3-v4")),
                delete(NftObject.Set.named(setNamed(before, "ports tcp . 6379"))),
                delete(NftObject.Set.named(setNamed(before, "ports tcp . 5978"))));
        assertThat(tx.counts()).isEqualTo(new Transaction.Counts(0, 6, 0, 2, 0, 0, 2, 0));
    }

    @Test
    void aChangedBaseChainIsFlushedAndRefilledNeverDeleted() throws ApplyException {
        Ruleset before = compile(demo());
        List<Chain> chains = new ArrayList<>();
        for (Chain c : before.chains()) {
            if (c.name().equals("filter-forward")) {
                List<Rule> rules = new ArrayList<>(c.rules());
                rules.remove(1); // say, neighbour discovery is no longer exempted
                c = new Chain(c.name(), c.hook(), c.comment(), rules);
            }
            chains.add(c);
        }
        Ruleset after = new Ruleset(before.family(), before.table(), before.comment(), before.sets(), before.maps(), chains);

        Transaction tx = applyChange(before, after);

        List<Operation> refill = new ArrayList<>(List.of(new Operation(Verb.FLUSH, NftObject.Chain.named("filter-forward"))));
        chains.stream().filter(c -> c.name().equals("filter-forward")).findFirst().orElseThrow().rules()
                .forEach(r -> refill.add(add(new NftObject.Rule("filter-forward", r))));
        assertThat(tx.steps()).containsExactlyElementsOf(refill);
        assertThat(refill).hasSize(6);
    }

    @Test
    void aPolicyWhosePortsChangeRefillsItsChainOnly() throws ApplyException {
        Ruleset before = compile(demo());
        NetworkPolicy old = demo().policies().get(0);
        NetworkPolicy changed = withIngress(old,
                List.of(new PolicyRule(old.ingress().get(0).peers(), List.of(PolicyPort.tcp(6380)))));
        Ruleset after = compile(cluster(demo()).withoutPolicy(old.ref()).policy(changed).snapshot());

        Transaction tx = applyChange(before, after);

        String chain = chainFor(after, "ing-", "dev_test-network-policy");
        String newPorts = setNamed(after, "ports tcp . 6380");
        String oldPorts = setNamed(before, "ports tcp . 6379");
        List<Operation> steps = tx.steps();
        assertThat(steps).hasSize(9).containsSubsequence(
                add(new NftObject.Set(newPorts, List.of(KeyType.INET_PROTO, KeyType.INET_SERVICE), false, "ports tcp . 6380")),
                add(new NftObject.Element(newPorts, List.of(new KeyPart.Proto(Protocol.TCP), new KeyPart.Ports(6380, 6380)),
                        "", Optional.empty())),
                new Operation(Verb.FLUSH, NftObject.Chain.named(chain)),
                delete(NftObject.Set.named(oldPorts)));
        assertThat(steps.subList(3, 8)).allSatisfy(op -> assertThat(op.object())
                .isInstanceOfSatisfying(NftObject.Rule.class, r -> assertThat(r.chain()).isEqualTo(chain)));
        assertThat(((NftObject.Rule) steps.get(3).object()).rule().statement()).contains("@" + newPorts);
    }

    @Test
    void anElementWhoseCommentChangesIsDeletedAndAddedAgain() throws ApplyException {
        // A pod replaced by one of another name that got the same address.
        ClusterSnapshot renamed = cluster(demo())
                .changePod("dev/frontend", p -> PodFixture.from(p).renamed("frontend-new").build()).snapshot();

        Transaction tx = applyChange(compile(demo()), compile(renamed));

        assertThat(tx.steps()).containsExactly(
                delete(Keys.key("peer-9a3bd8b3-v4", "10.244.1.11")),
                add(Keys.element("peer-9a3bd8b3-v4", "10.244.1.11", "dev/frontend-new")));
    }

    @Test
    void aSetDeclaredAnewIsDeletedAndAddedBetweenFlushingAndRefillingTheChainsThatUseIt() throws ApplyException {
        Ruleset before = compile(demo());
        String peer = setNamed(before, "pods role=frontend in namespace dev");
        List<NamedSet> sets = before.sets().stream()
                .map(s -> s.name().equals(peer) ? new NamedSet(s.name(), s.keyType(), true, s.comment(), s.elements()) : s)
                .toList();
        Ruleset after = new Ruleset(before.family(), before.table(), before.comment(), sets, before.maps(), before.chains());

        Transaction tx = applyChange(before, after);

        String chain = chainFor(before, "ing-", "dev_test-network-policy");
        assertThat(kinds(tx)).containsExactly("flush chain", "delete set", "add set", "add element", "add rule");
        assertThat(tx.steps().get(0)).isEqualTo(new Operation(Verb.FLUSH, NftObject.Chain.named(chain)));
        assertThat(tx.steps().get(2)).isEqualTo(add(new NftObject.Set(peer, List.of(KeyType.IPV4_ADDR), true,
                "pods role=frontend in namespace dev")));
    }

    @Test
    void aChainWhoseCommentChangesIsRecreatedWithTheElementsThatJumpThere() throws ApplyException {
        Ruleset before = compile(demo());
        String ing = chainFor(before, "ing-", "dev_test-network-policy");
        List<Chain> chains = before.chains().stream()
                .map(c -> c.name().equals(ing) ? new Chain(c.name(), c.hook(), "another comment", c.rules()) : c).toList();
        Ruleset after = new Ruleset(before.family(), before.table(), before.comment(), before.sets(), before.maps(), chains);

        Transaction tx = applyChange(before, after);

        assertThat(kinds(tx)).containsExactly("delete element", "delete chain", "add chain", "add rule",
                "add element");
        assertThat(tx.steps()).noneMatch(op -> op.object() instanceof NftObject.Chain c && c.name().equals("filter-forward")
                || op.object() instanceof NftObject.Rule r && r.chain().equals("filter-forward"));
    }

    @Test
    void aReadBackTableDiffsByDigestsToNothingWhenItHoldsTheModel() throws ApplyException {
        Ruleset ruleset = compile(demo());
        kernel.run(RulesetDiff.between(null, ruleset));

        TableState readBack = TableState.readBack(kernel.readBack());

        assertThat(readBack.exactRules()).isFalse();
        assertThat(RulesetDiff.between(readBack, ruleset).isEmpty()).isTrue();
    }

    @Test
    void aPortOnlyChangeIsSeenInAReadBackTableAndRefillsOnlyThatChain() throws ApplyException {
        Ruleset before = compile(demo());
        kernel.run(RulesetDiff.between(null, before));
        NetworkPolicy old = demo().policies().get(0);
        NetworkPolicy changed = withIngress(old,
                List.of(new PolicyRule(old.ingress().get(0).peers(), List.of(PolicyPort.tcp(6380)))));
        Ruleset after = compile(cluster(demo()).withoutPolicy(old.ref()).policy(changed).snapshot());
        TableState readBack = TableState.readBack(kernel.readBack());

        Transaction tx = RulesetDiff.between(readBack, after);
        kernel.run(tx);

        assertThat(tx.counts().chainsChanged()).isEqualTo(1);
        // The new ports are a new shared set: declared and filled, and the old one deleted.
        assertThat(tx.counts().setsAdded()).isEqualTo(1);
        assertThat(tx.counts().setsRemoved()).isEqualTo(1);
        assertThat(NftRenderer.render(kernel.ruleset().orElseThrow()))
                .isEqualTo(NftRenderer.render(FakeNft.normalized(after)));
    }

    @Test
    void rewritingChainsAfterAReadBackRefillsEveryChainAndNoElement() throws ApplyException {
        Ruleset ruleset = compile(demo());
        kernel.run(RulesetDiff.between(null, ruleset));

        Transaction rewrite = RulesetDiff.between(TableState.readBack(kernel.readBack()), ruleset, true);

        assertThat(rewrite.counts().chainsChanged()).isEqualTo(ruleset.chains().size());
        assertThat(rewrite.counts().elementsAdded() + rewrite.counts().elementsRemoved()).isZero();
    }

    @Test
    void driftRepairAgainstAReadBackTableSendsOnlyTheMissingPieces() throws ApplyException {
        Ruleset ruleset = compile(demo());
        kernel.run(RulesetDiff.between(null, ruleset));
        kernel.run(new Transaction().delete(Keys.key("peer-9a3bd8b3-v4", "10.244.1.11"))
                .add(Keys.element("peer-9a3bd8b3-v4", "10.9.9.9", "intruder"))
                .flushChain("filter-input"));

        Transaction tx = RulesetDiff.between(TableState.readBack(kernel.readBack()), ruleset);
        kernel.run(tx);

        assertThat(kinds(tx)).containsExactly("delete element", "add element", "flush chain", "add rule");
        assertThat(tx.counts().rulesWritten()).isEqualTo(4);
        assertThat(NftRenderer.render(kernel.ruleset().orElseThrow()))
                .isEqualTo(NftRenderer.render(FakeNft.normalized(ruleset)));
    }

    private static Operation add(NftObject object) {
        return new Operation(Verb.ADD, object);
    }

    private static Operation delete(NftObject object) {
        return new Operation(Verb.DELETE, object);
    }

    /** Each operation's verb and kind: "add element", "flush chain"... */
    static List<String> operationKinds(Transaction tx) {
        return tx.steps().stream().map(op -> op.verb().nft() + " " + op.object().kind()).toList();
    }

    /** Consecutive operations of one kind ("add element", "flush chain", ...) collapsed to one entry. */
    static List<String> kinds(Transaction tx) {
        return kinds(operationKinds(tx));
    }

    /** Consecutive commands of one kind ("add element", "flush chain", ...) collapsed to one entry. */
    static List<String> kinds(List<String> commands) {
        List<String> out = new ArrayList<>();
        for (String c : commands) {
            String[] words = c.split(" ");
            String kind = words[0] + " " + words[1];
            if (out.isEmpty() || !out.get(out.size() - 1).equals(kind)) {
                out.add(kind);
            }
        }
        return out;
    }
}

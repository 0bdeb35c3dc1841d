package io.nftpolicy.compile;

import static io.nftpolicy.testing.Clusters.cluster;
import static io.nftpolicy.testing.Policies.egress;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.peers;
import static io.nftpolicy.testing.Policies.pods;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Drop logs: the isolation drops of annotated namespaces' pods go to NFLOG first, rate-limited. */
class DropLogsTest {
    private static final String NODE = "n1";

    private static ClusterSnapshot snapshot(boolean annotated) {
        return cluster()
                .namespace("dev")
                .namespace("ops")
                .pod("dev/db", NODE, "10.244.1.10", "app=db")
                .pod("dev/web", NODE, "10.244.1.11", "app=web")
                .pod("ops/tool", NODE, "10.244.1.20", "app=tool")
                .policy(ingress("dev/db-from-web", labels("app=db"), peers(pods(labels("app=web")))),
                        ingress("ops/lockdown", labels("app=tool")))
                .changeNamespace("dev", n -> annotated
                        ? new Namespace(n.name(), n.labels(), Map.of(Namespace.LOG_DROPS_ANNOTATION, "true")) : n)
                .snapshot();
    }

    private static Ruleset compiled(ClusterSnapshot snapshot) {
        return new PolicyCompiler().compile(snapshot, NODE).ruleset();
    }

    private static Chain chain(Ruleset ruleset, String name) {
        return ruleset.chains().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    private static Chain groupChain(Ruleset ruleset, String suffix) {
        return ruleset.chains().stream().filter(c -> c.name().startsWith("ing-") && c.name().endsWith(suffix))
                .findFirst().orElseThrow();
    }

    private static List<String> statements(Chain chain) {
        return chain.rules().stream().map(Rule::statement).toList();
    }

    @Test
    void anAnnotatedNamespacesGroupChainJumpsToItsLogChainJustBeforeTheIsolationDrop() {
        ClusterSnapshot snapshot = snapshot(true);
        Ruleset logged = new DropLogs(DropLogs.Options.defaults(false)).apply(compiled(snapshot), snapshot);

        Chain db = groupChain(logged, "dev_db-from-web");
        String id = DropLogs.id(db.name()).orElseThrow();
        assertThat(statements(db)).hasSize(4).element(2).isEqualTo("ct state new jump log-" + id);
        assertThat(statements(db).get(3)).isEqualTo(EstablishedFlows.DROP);
        assertThat(statements(chain(logged, "log-" + id))).containsExactly(
                "limit rate 10/second burst 5 packets log prefix \"nftpolicy drop " + id + "\" group 100 return",
                "counter");
    }

    @Test
    void anUnannotatedNamespaceKeepsItsChainAsCompiled() {
        ClusterSnapshot snapshot = snapshot(true);
        Ruleset plain = compiled(snapshot);
        Ruleset logged = new DropLogs(DropLogs.Options.defaults(false)).apply(plain, snapshot);

        Chain tool = groupChain(logged, "ops_lockdown");
        assertThat(plain.chains()).contains(tool);
        assertThat(logged.chains()).filteredOn(c -> c.name().startsWith("log-")).hasSize(1);
    }

    @Test
    void withoutAnnotationOrFlagTheRulesetIsTheSameInstance() {
        ClusterSnapshot snapshot = snapshot(false);
        Ruleset plain = compiled(snapshot);

        assertThat(new DropLogs(DropLogs.Options.defaults(false)).apply(plain, snapshot)).isSameAs(plain);
    }

    @Test
    void everywhereLogsTheDropsOfEveryGroupChain() {
        ClusterSnapshot snapshot = snapshot(false);
        Ruleset logged = new DropLogs(new DropLogs.Options(true, 7, 2, 1)).apply(compiled(snapshot), snapshot);

        assertThat(logged.chains()).filteredOn(c -> c.name().startsWith("log-")).hasSize(2)
                .allSatisfy(c -> assertThat(c.rules().get(0).statement())
                        .startsWith("limit rate 2/second burst 1 packets log prefix").endsWith(" group 7 return"));
    }

    @Test
    void theSameCompilationTwiceGivesTheSameChainInstances() {
        ClusterSnapshot snapshot = snapshot(true);
        Ruleset plain = compiled(snapshot);
        DropLogs logs = new DropLogs(DropLogs.Options.defaults(false));
        Ruleset first = logs.apply(plain, snapshot);
        Ruleset second = logs.apply(plain, snapshot);

        for (int i = 0; i < first.chains().size(); i++) {
            assertThat(second.chains().get(i)).isSameAs(first.chains().get(i));
        }
    }

    @Test
    void theRenderedScriptCarriesTheLogRules() {
        ClusterSnapshot snapshot = snapshot(true);
        String script = NftRenderer.render(new EstablishedFlows().apply(
                new DropLogs(DropLogs.Options.defaults(false)).apply(compiled(snapshot), snapshot)));

        assertThat(script).containsPattern("ct state new jump log-ing-[0-9a-f]{8} comment \"a connection attempt")
                .containsPattern("chain log-ing-[0-9a-f]{8} \\{\n\t\tcomment \"drop log of ing-[0-9a-f]{8}-dev_db-from-web\"");
    }

    @Test
    void theAttributionNamesTheChainsDirectionPoliciesAndPods() {
        ClusterSnapshot snapshot = snapshot(true);
        Ruleset logged = new DropLogs(DropLogs.Options.defaults(false)).apply(compiled(snapshot), snapshot);
        String id = DropLogs.id(groupChain(logged, "dev_db-from-web").name()).orElseThrow();
        DropAttribution attribution = DropAttribution.of(logged, snapshot);

        DropAttribution.Isolation isolation = attribution.isolation(DropLogs.prefix(id)).orElseThrow();
        assertThat(isolation.direction()).isEqualTo(PolicyType.INGRESS);
        assertThat(isolation.policies()).containsExactly("dev/db-from-web");
        assertThat(attribution.pod(IpAddress.parse("10.244.1.10"))).contains("dev/db");
        assertThat(attribution.pod(IpAddress.parse("10.9.9.9"))).isEmpty();
        assertThat(attribution.isolation("someone else's prefix")).isEmpty();
    }

    @Test
    void anAuditedNamespacesAllowRulesGoToAcceptLogChainsThatKeepTheirVerdict() {
        ClusterSnapshot snapshot = cluster()
                .namespace("dev")
                .pod("dev/db", NODE, "10.244.1.10", "app=db")
                .pod("dev/web", NODE, "10.244.1.11", "app=web")
                .policy(ingress("dev/db-from-web", labels("app=db"), peers(pods(labels("app=web")))))
                .changeNamespace("dev", n -> new Namespace(n.name(), n.labels(),
                        Map.of(Namespace.LOG_ACCEPTS_ANNOTATION, "true")))
                .snapshot();
        Ruleset logged = new DropLogs(DropLogs.Options.defaults(false)).apply(compiled(snapshot), snapshot);

        Chain db = groupChain(logged, "dev_db-from-web");
        String id = DropLogs.id(db.name()).orElseThrow();
        assertThat(db.rules().get(0).statement()).matches("ip saddr @peer-[0-9a-f]{8}-v4 goto acc-" + id + "-0");
        assertThat(db.rules().get(0).sources()).extracting(Object::toString).containsExactly("dev/db-from-web ingress[0].from[0]");
        assertThat(statements(chain(logged, "acc-" + id + "-0"))).containsExactly(
                "ct state new limit rate 10/second burst 5 packets log prefix \"nftpolicy accept " + id + " 0\" group 100 accept",
                "ct state new counter accept",
                "accept");
        assertThat(logged.chains()).noneMatch(c -> c.name().startsWith("log-"));

        DropAttribution.Allowance allowance = DropAttribution.of(logged, snapshot)
                .allowance(DropLogs.acceptPrefix(id, 0)).orElseThrow();
        assertThat(allowance.rules()).containsExactly("dev/db-from-web ingress[0].from[0]");
    }

    @Test
    void anEgressAllowKeepsReturnInItsAcceptLogChain() {
        ClusterSnapshot snapshot = cluster(snapshot(false))
                .policy(egress("dev/web-out", labels("app=web"), peers(pods(labels("app=db")))))
                .snapshot();
        Ruleset logged = new DropLogs(new DropLogs.Options(false, 100, 10, 5, true)).apply(compiled(snapshot), snapshot);

        Chain egress = logged.chains().stream().filter(c -> c.name().startsWith("egr-")).findFirst().orElseThrow();
        String id = DropLogs.id(egress.name()).orElseThrow();
        assertThat(statements(chain(logged, "acc-" + id + "-0"))).last().isEqualTo("return");
    }

    @Test
    void anOutOfRangeGroupIsRefusedByName() {
        assertThatThrownBy(() -> new DropLogs.Options(false, 70000, 10, 5))
                .hasMessageContaining("NFLOG group 70000");
    }
}

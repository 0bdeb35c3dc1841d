package io.nftpolicy.compile;

import static io.nftpolicy.cluster.Protocol.TCP;
import static io.nftpolicy.testing.Policies.egress;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.map;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.Clusters;
import io.nftpolicy.testing.PodFixture;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * A pod address handed from one pod to another, and one address claimed by two live pods: who owns it, where its
 * traffic is filtered, and that the incremental compiler follows every order of events as a full compile does.
 */
class AddressReuseTest {
    private static final String NODE = "n1";
    private static final String IP = "10.244.1.5";
    private static final String CLIENT = "10.244.1.9";
    private static final Instant EARLIER = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant LATER = Instant.parse("2026-01-01T00:05:00Z");

    /** Ingress to app=db only from role=client on TCP 80. */
    private static final NetworkPolicy DB_FROM_CLIENTS = ingress("prod/db", labels("app=db"),
            new PolicyRule(List.of(PolicyPeer.pods(labels("role=client"))), List.of(PolicyPort.tcp(80))));
    private static final NetworkPolicy DENY_ALL_PROD = ingress("prod/deny", LabelSelector.all());

    private static Pod pod(String ref, String uid, PodPhase phase, Instant created, String ip, String node,
                           String... labels) {
        return PodFixture.pod(ref).uid(uid).phase(phase).created(created).ips(ip).on(node).labels(labels).build();
    }

    private static ClusterSnapshot snapshot(List<Pod> pods, NetworkPolicy... policies) {
        return Clusters.cluster().namespaces("prod", "dev").add(pods.toArray(Pod[]::new))
                .add(pod("prod/client", "uid-client", PodPhase.RUNNING, EARLIER, CLIENT, NODE, "role=client"))
                .policy(policies).snapshot();
    }

    private static Compilation compile(ClusterSnapshot snapshot) {
        return new PolicyCompiler().compile(snapshot, NODE);
    }

    private static List<String> ingressDispatch(Ruleset rs) {
        return rs.maps().stream().filter(m -> m.name().equals("ingress-v4")).findFirst().orElseThrow().elements()
                .stream().map(e -> e.key() + " " + e.comment()).toList();
    }

    // ---- who owns an address two live pods claim ----

    @Test
    void aPendingPodClaimingARunningPodsAddressDoesNotTakeItThoughItsNameComesFirst() {
        Pod running = pod("prod/zz-db", "u1", PodPhase.RUNNING, EARLIER, IP, NODE, "app=db");
        Pod pending = pod("prod/aa-new", "u2", PodPhase.PENDING, LATER, IP, "n2", "app=web");
        Compilation c = compile(snapshot(List.of(running, pending), DB_FROM_CLIENTS));

        assertThat(ingressDispatch(c.ruleset())).containsExactly(IP + " prod/zz-db");
        FakeKernel k = new FakeKernel(c.ruleset());
        assertThat(k.forwards("10.244.9.9", IP, TCP, 80)).isFalse();
        assertThat(k.forwards(CLIENT, IP, TCP, 80)).isTrue();
        assertThat(c.diagnostics()).extracting(Diagnostic::format).containsExactly(
                "Pod prod/aa-new: status.podIPs[0]: address " + IP + " is also the address of pod prod/zz-db, which "
                        + "keeps it (the running pod, then the newest) (not this pod's address as a policy peer; "
                        + "traffic with it is filtered by the isolated claimant's policy)");
    }

    @Test
    void ofTwoRunningPodsTheNewestOwnsTheAddressAsAPeer() {
        NetworkPolicy fromWeb = ingress("prod/db", labels("app=db"),
                new PolicyRule(List.of(PolicyPeer.pods(labels("app=web"))), List.of()));
        Pod db = pod("prod/db", "u-db", PodPhase.RUNNING, EARLIER, CLIENT, NODE, "app=db");
        Pod oldWeb = pod("prod/a-web", "u1", PodPhase.RUNNING, EARLIER, IP, "n2", "app=web");
        Pod newOther = pod("prod/b-other", "u2", PodPhase.RUNNING, LATER, IP, "n2", "app=other");
        ClusterSnapshot s = Clusters.cluster().namespaces("prod").add(db, oldWeb, newOther).policy(fromWeb).snapshot();

        FakeKernel k = new FakeKernel(compile(s).ruleset());
        assertThat(k.forwards(IP, CLIENT, TCP, 80)).as("the address is b-other's, which no policy allows").isFalse();
        assertThat(compile(s).diagnostics()).singleElement()
                .satisfies(d -> assertThat(d.object()).isEqualTo("prod/a-web"))
                .satisfies(d -> assertThat(d.reason()).contains("prod/b-other"));
    }

    @Test
    void anIsolatedClaimantFiltersTheAddressWhenItsOwnerIsNotIsolated() {
        Pod owner = pod("dev/owner", "u1", PodPhase.RUNNING, EARLIER, IP, NODE, "app=web");
        Pod isolated = pod("prod/db", "u2", PodPhase.PENDING, LATER, IP, NODE, "app=db");
        Ruleset rs = compile(snapshot(List.of(owner, isolated), DB_FROM_CLIENTS)).ruleset();

        assertThat(ingressDispatch(rs)).containsExactly(IP + " prod/db");
        FakeKernel k = new FakeKernel(rs);
        assertThat(k.forwards("10.244.9.9", IP, TCP, 80)).isFalse();
        assertThat(k.forwards(CLIENT, IP, TCP, 80)).isTrue();
    }

    @Test
    void anIsolatedOwnerKeepsItsOwnChainForTheAddress() {
        Pod owner = pod("prod/db", "u1", PodPhase.RUNNING, EARLIER, IP, NODE, "app=db");
        Pod other = pod("prod/other", "u2", PodPhase.RUNNING, EARLIER, IP, NODE, "app=other");
        Ruleset rs = compile(snapshot(List.of(owner, other), DB_FROM_CLIENTS, DENY_ALL_PROD)).ruleset();

        assertThat(ingressDispatch(rs)).contains(IP + " prod/db");
        assertThat(new FakeKernel(rs).forwards(CLIENT, IP, TCP, 80)).isTrue();
    }

    @Test
    void anAddressOfARemoteOwnerIsFilteredHereByTheIsolatedLocalClaimant() {
        Pod remoteOwner = pod("dev/owner", "u1", PodPhase.RUNNING, EARLIER, IP, "n2", "app=web");
        Pod local = pod("prod/db", "u2", PodPhase.PENDING, LATER, IP, NODE, "app=db");
        NetworkPolicy egressDeny = egress("prod/no-egress", labels("app=db"));
        Ruleset rs = compile(snapshot(List.of(remoteOwner, local), DB_FROM_CLIENTS, egressDeny)).ruleset();

        assertThat(ingressDispatch(rs)).containsExactly(IP + " prod/db");
        FakeKernel k = new FakeKernel(rs);
        assertThat(k.forwards(IP, CLIENT, TCP, 80)).as("egress of the isolated claimant").isFalse();
    }

    // ---- every order of events, incremental and full alike ----

    private static final Pod OLD = pod("prod/db", "uid-1", PodPhase.RUNNING, EARLIER, IP, NODE, "app=db");
    private static final Pod RECREATED = pod("prod/db", "uid-2", PodPhase.PENDING, LATER, IP, NODE, "app=web");
    private static final Pod ELSEWHERE = pod("dev/web", "uid-3", PodPhase.PENDING, LATER, IP, "n2", "app=web");

    /** The pods of each step, applied one by one; returns each step's ruleset, compiled both ways and compared. */
    @SafeVarargs
    private static List<Ruleset> follow(UnaryOperator<List<Pod>>... steps) {
        IncrementalCompiler incremental = new IncrementalCompiler(NODE);
        List<Pod> pods = new ArrayList<>();
        List<Ruleset> out = new ArrayList<>();
        for (UnaryOperator<List<Pod>> step : steps) {
            pods = step.apply(new ArrayList<>(pods));
            ClusterSnapshot s = snapshot(pods, DB_FROM_CLIENTS);
            Compilation got = incremental.compile(s);
            Compilation want = compile(s);
            assertThat(got.ruleset()).isEqualTo(want.ruleset());
            assertThat(got.diagnostics()).isEqualTo(want.diagnostics());
            out.add(got.ruleset());
        }
        return out;
    }

    private static UnaryOperator<List<Pod>> add(Pod pod) {
        return pods -> {
            pods.add(pod);
            return pods;
        };
    }

    private static UnaryOperator<List<Pod>> delete(Pod pod) {
        return pods -> {
            pods.removeIf(p -> p.uid().equals(pod.uid()));
            return pods;
        };
    }

    private static boolean isolated(Ruleset rs) {
        return !new FakeKernel(rs).forwards("10.244.9.9", IP, TCP, 80);
    }

    @Test
    void aPodReCreatedUnderItsNameWithTheAddThenTheDeleteIsFollowed() {
        List<Ruleset> steps = follow(add(OLD), add(RECREATED), delete(OLD));
        assertThat(isolated(steps.get(0))).isTrue();
        assertThat(isolated(steps.get(1))).as("both live: the isolated old pod still filters the address").isTrue();
        assertThat(isolated(steps.get(2))).as("only the new pod, app=web, which no policy selects").isFalse();
        assertThat(steps.get(2)).isEqualTo(compile(snapshot(List.of(RECREATED), DB_FROM_CLIENTS)).ruleset());
    }

    @Test
    void aPodReCreatedUnderItsNameWithTheDeleteThenTheAddIsFollowed() {
        List<Ruleset> steps = follow(add(OLD), delete(OLD), add(RECREATED));
        assertThat(isolated(steps.get(0))).isTrue();
        assertThat(isolated(steps.get(2))).isFalse();
        assertThat(steps.get(2)).isEqualTo(compile(snapshot(List.of(RECREATED), DB_FROM_CLIENTS)).ruleset());
    }

    @Test
    void theDeleteOfTheOldPodDoesNotRemoveTheNewOneOfTheSameName() {
        Pod recreatedDb = pod("prod/db", "uid-2", PodPhase.RUNNING, LATER, IP, NODE, "app=db");
        List<Ruleset> steps = follow(add(OLD), add(recreatedDb), delete(OLD));
        assertThat(ingressDispatch(steps.get(2))).containsExactly(IP + " prod/db");
        assertThat(isolated(steps.get(2))).isTrue();
    }

    @Test
    void anAddressHandedToAPodOfAnotherNamespaceAndNodeAddedFirstIsFollowed() {
        List<Ruleset> steps = follow(add(OLD), add(ELSEWHERE), delete(OLD));
        assertThat(isolated(steps.get(1))).isTrue();
        assertThat(isolated(steps.get(2))).isFalse();
        assertThat(ingressDispatch(steps.get(2))).isEmpty();
    }

    @Test
    void anAddressHandedToAPodOfAnotherNamespaceAndNodeDeletedFirstIsFollowed() {
        List<Ruleset> steps = follow(add(OLD), delete(OLD), add(ELSEWHERE));
        assertThat(ingressDispatch(steps.get(2))).isEmpty();
        assertThat(isolated(steps.get(2))).isFalse();
    }

    @Test
    void anAddressHandedFromAnOpenPodToAnIsolatedOneIsIsolatedFromTheAddOn() {
        Pod open = pod("dev/web", "uid-3", PodPhase.RUNNING, EARLIER, IP, NODE, "app=web");
        Pod db = pod("prod/db", "uid-4", PodPhase.PENDING, LATER, IP, NODE, "app=db");
        List<Ruleset> steps = follow(add(open), add(db), delete(open));
        assertThat(isolated(steps.get(0))).isFalse();
        assertThat(isolated(steps.get(1))).isTrue();
        assertThat(isolated(steps.get(2))).isTrue();
        assertThat(steps.get(1).maps()).flatExtracting(m -> m.elements()).extracting(MapElement::comment)
                .containsExactly("prod/db");
    }
}

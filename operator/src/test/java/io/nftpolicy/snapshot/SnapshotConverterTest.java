package io.nftpolicy.snapshot;

import static io.nftpolicy.testing.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.policy.IpBlock;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.LabelSelector.Requirement;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyPort.PortRef;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.snapshot.SnapshotConverter.Conversion;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Conversion of YAML as written into the compiler's records: every field policy reads. Each case goes both ways the
 * records are made, and they must agree: straight from the file ({@link SnapshotReader}, the command line), and from
 * fabric8's model objects ({@link SnapshotConverter}, the agent's informers).
 */
class SnapshotConverterTest {
    private final SnapshotReader reader = new SnapshotReader();
    private final SnapshotConverter converter = new SnapshotConverter();

    private Conversion convert(String yaml) throws Exception {
        SnapshotFile file = reader.read("test.yaml", yaml.getBytes(StandardCharsets.UTF_8));
        Conversion conversion = new Conversion(file.snapshot(), file.diagnostics());
        ModelObjects objects = ModelObjects.of(yaml);
        assertThat(converter.convert(objects.namespaces(), objects.pods(), objects.policies()))
                .as("the same records from fabric8's model").isEqualTo(conversion);
        return conversion;
    }

    private Pod pod(String yaml) throws Exception {
        return convert("kind: Pod\n" + yaml).snapshot().pods().get(0);
    }

    private NetworkPolicy policy(String spec) throws Exception {
        return convert("kind: NetworkPolicy\nmetadata: {name: p, namespace: a}\nspec:\n" + spec.indent(2))
                .snapshot().policies().get(0);
    }

    private static PolicyPeer peer(Optional<LabelSelector> pods, Optional<LabelSelector> namespaces) {
        return new PolicyPeer(pods, namespaces, Optional.empty());
    }

    // --- pods

    @Test
    void podTakesNamespaceNameLabelsAndNodeFromTheObject() throws Exception {
        Pod pod = pod("metadata: {name: web, namespace: shop, labels: {app: web, tier: front}}\nspec: {nodeName: n1}\n");

        assertThat(pod.namespace()).isEqualTo("shop");
        assertThat(pod.name()).isEqualTo("web");
        assertThat(pod.labels()).isEqualTo(Map.of("app", "web", "tier", "front"));
        assertThat(pod.nodeName()).isEqualTo("n1");
    }

    @Test
    void podTakesItsUidAndCreationTimestampFromTheObject() throws Exception {
        Pod pod = pod("metadata: {name: web, uid: 4f1c-a, creationTimestamp: \"2026-03-01T10:00:00Z\"}\n");

        assertThat(pod.uid()).isEqualTo("4f1c-a");
        assertThat(pod.creationTimestamp()).isEqualTo(Instant.parse("2026-03-01T10:00:00Z"));
    }

    @Test
    void podWithoutUidGetsOneDerivedFromItsNamespaceAndName() throws Exception {
        Pod pod = pod("metadata: {name: web, namespace: shop}\n");

        assertThat(pod.uid()).isEqualTo(Pod.derivedUid("shop", "web"))
                .isNotEqualTo(Pod.derivedUid("shop", "web2")).isNotEqualTo(Pod.derivedUid("shop2", "web"));
        assertThat(pod.creationTimestamp()).isNull();
    }

    @Test
    void anUnreadableCreationTimestampIsNamedAndCountsAsAbsent() throws Exception {
        Conversion conversion = convert("kind: Pod\nmetadata: {name: web, creationTimestamp: yesterday}\n");

        assertThat(conversion.snapshot().pods().get(0).creationTimestamp()).isNull();
        assertThat(conversion.diagnostics()).singleElement().satisfies(d -> assertThat(d.format()).isEqualTo(
                "Pod default/web: metadata.creationTimestamp: \"yesterday\" is not an RFC 3339 time (the pod counts "
                        + "as older than any other pod claiming its address)"));
    }

    @Test
    void podWithoutNamespaceIsInDefault() throws Exception {
        assertThat(pod("metadata: {name: web}\n").namespace()).isEqualTo("default");
    }

    @Test
    void podAddressesAreAllDualStackPodIps() throws Exception {
        Pod pod = pod("""
                metadata: {name: web}
                status:
                  podIP: 10.0.0.5
                  podIPs: [{ip: 10.0.0.5}, {ip: "fd00::5"}]
                """);

        assertThat(pod.ips()).containsExactly("10.0.0.5", "fd00::5");
    }

    @Test
    void podAddressFallsBackToPodIpWhenPodIpsIsAbsent() throws Exception {
        assertThat(pod("metadata: {name: web}\nstatus: {podIP: 10.0.0.5}\n").ips()).containsExactly("10.0.0.5");
    }

    @Test
    void podWithoutStatusHasNoAddressAndUnknownPhase() throws Exception {
        Pod pod = pod("metadata: {name: web}\n");

        assertThat(pod.ips()).isEmpty();
        assertThat(pod.phase()).isEqualTo(PodPhase.UNKNOWN);
        assertThat(pod.nodeName()).isEmpty();
    }

    @Test
    void podPhaseComesFromStatusPhase() throws Exception {
        assertThat(pod("metadata: {name: a}\nstatus: {phase: Running}\n").phase()).isEqualTo(PodPhase.RUNNING);
        assertThat(pod("metadata: {name: a}\nstatus: {phase: Succeeded}\n").phase()).isEqualTo(PodPhase.SUCCEEDED);
        assertThat(pod("metadata: {name: a}\nstatus: {phase: Failed}\n").phase()).isEqualTo(PodPhase.FAILED);
        assertThat(pod("metadata: {name: a}\nstatus: {phase: Pending}\n").phase()).isEqualTo(PodPhase.PENDING);
    }

    @Test
    void podWithDeletionTimestampIsTerminating() throws Exception {
        assertThat(pod("metadata: {name: a, deletionTimestamp: \"2024-05-01T10:00:00Z\"}\n").terminating()).isTrue();
        assertThat(pod("metadata: {name: a}\n").terminating()).isFalse();
    }

    @Test
    void hostNetworkComesFromSpec() throws Exception {
        assertThat(pod("metadata: {name: a}\nspec: {hostNetwork: true}\n").hostNetwork()).isTrue();
        assertThat(pod("metadata: {name: a}\nspec: {}\n").hostNetwork()).isFalse();
    }

    @Test
    void podPortsIncludeInitContainerPortsWithProtocolDefaultingToTcpAndNameToEmpty() throws Exception {
        Pod pod = pod("""
                metadata: {name: a}
                spec:
                  containers:
                  - name: main
                    ports:
                    - {containerPort: 80, name: http}
                    - {containerPort: 53, protocol: UDP}
                  - name: other
                    ports:
                    - {containerPort: 3868, name: diameter, protocol: SCTP}
                  initContainers:
                  - name: sidecar
                    restartPolicy: Always
                    ports:
                    - {containerPort: 15001, name: proxy}
                """);

        assertThat(pod.ports()).containsExactly(
                new ContainerPort("http", 80, Protocol.TCP),
                new ContainerPort("", 53, Protocol.UDP),
                new ContainerPort("diameter", 3868, Protocol.SCTP),
                new ContainerPort("proxy", 15001, Protocol.TCP));
    }

    @Test
    void aPodPortWithAnUnknownProtocolIsDroppedWithADiagnostic() throws Exception {
        Conversion conversion = convert("""
                kind: Pod
                metadata: {name: a, namespace: x}
                spec:
                  containers:
                  - name: main
                    ports:
                    - {containerPort: 80}
                    - {containerPort: 7, protocol: ICMP}
                """);

        assertThat(conversion.snapshot().pods().get(0).ports()).containsExactly(new ContainerPort("", 80, Protocol.TCP));
        assertThat(conversion.diagnostics()).singleElement().satisfies(d -> assertThat(d.format()).isEqualTo(
                "Pod x/a: spec.containers[0].ports[1].protocol: \"ICMP\" is not TCP, UDP or SCTP (port ignored)"));
    }

    // --- namespaces

    @Test
    void namespacesKeepTheirLabelsAndGainTheNameLabel() throws Exception {
        ClusterSnapshot snapshot = convert("kind: Namespace\nmetadata: {name: prod, labels: {team: pay}}\n").snapshot();

        assertThat(snapshot.namespaces()).containsExactly(
                new Namespace("prod", Map.of("team", "pay", Namespace.NAME_LABEL, "prod")));
    }

    @Test
    void namespacesThatPodsAndPoliciesLiveInButTheFileLacksAreAddedWithoutLabels() throws Exception {
        ClusterSnapshot snapshot = convert("""
                kind: Namespace
                metadata: {name: b, labels: {env: test}}
                ---
                kind: Pod
                metadata: {name: p, namespace: b}
                ---
                kind: Pod
                metadata: {name: p}
                ---
                kind: NetworkPolicy
                metadata: {name: np, namespace: a}
                """).snapshot();

        assertThat(snapshot.namespaces()).containsExactly(
                new Namespace("b", Map.of("env", "test")), new Namespace("a", Map.of()), new Namespace("default", Map.of()));
        assertThat(snapshot.namespaces().get(1).labels()).isEqualTo(Map.of(Namespace.NAME_LABEL, "a"));
    }

    // --- policies

    @Test
    void absentPolicyTypesStayEmptyForTheCompilerToDefault() throws Exception {
        assertThat(policy("podSelector: {}\n").policyTypes()).isEmpty();
        assertThat(policy("podSelector: {}\npolicyTypes: []\n").policyTypes()).isEmpty();
    }

    @Test
    void thePolicyIsStagedOnlyWhenItsStagedAnnotationIsTrue() throws Exception {
        String staged = "kind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: a\n  annotations:\n"
                + "    nftpolicy.io/staged: \"%s\"\nspec:\n  podSelector: {}\n";

        assertThat(convert(staged.formatted("true")).snapshot().policies().get(0).staged()).isTrue();
        assertThat(convert(staged.formatted("false")).snapshot().policies().get(0).staged()).isFalse();
        assertThat(policy("podSelector: {}\n").staged()).isFalse();
    }

    @Test
    void policyTypesAreKeptAsWritten() throws Exception {
        assertThat(policy("podSelector: {}\npolicyTypes: [Ingress, Egress]\n").policyTypes())
                .containsExactly("Ingress", "Egress");
        assertThat(policy("podSelector: {}\npolicyTypes: [egress]\n").policyTypes()).containsExactly("egress");
    }

    @Test
    void policyWithoutNamespaceIsInDefault() throws Exception {
        NetworkPolicy policy = convert("kind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}}\n")
                .snapshot().policies().get(0);

        assertThat(policy.ref()).isEqualTo("default/p");
    }

    @Test
    void absentAndEmptyRuleListsBothAllowNothingWhileAnEmptyRuleAllowsAll() throws Exception {
        assertThat(policy("podSelector: {}\n").ingress()).isEmpty();
        assertThat(policy("podSelector: {}\ningress: []\n").ingress()).isEmpty();
        assertThat(policy("podSelector: {}\ningress: [{}]\n").ingress()).containsExactly(PolicyRule.allowAll());
        assertThat(policy("podSelector: {}\negress: [{}]\n").egress()).containsExactly(PolicyRule.allowAll());
    }

    @Test
    void podSelectorKeepsMatchLabelsAndMatchExpressions() throws Exception {
        NetworkPolicy policy = policy("""
                podSelector:
                  matchLabels: {app: web}
                  matchExpressions:
                  - {key: tier, operator: NotIn, values: [db, cache]}
                  - {key: canary, operator: DoesNotExist}
                """);

        assertThat(policy.podSelector()).isEqualTo(new LabelSelector(Map.of("app", "web"), List.of(
                new Requirement("tier", "NotIn", List.of("db", "cache")),
                new Requirement("canary", "DoesNotExist", List.of()))));
    }

    @Test
    void peersKeepSelectorsAbsentOrEmptyAsWrittenAndBothSelectorsInOnePeer() throws Exception {
        NetworkPolicy policy = policy("""
                podSelector: {}
                ingress:
                - from:
                  - podSelector: {matchLabels: {app: a}}
                    namespaceSelector: {matchLabels: {team: x}}
                  - namespaceSelector: {}
                  - podSelector: {}
                """);

        assertThat(policy.ingress().get(0).peers()).containsExactly(
                peer(Optional.of(LabelSelector.matchLabels(Map.of("app", "a"))),
                        Optional.of(LabelSelector.matchLabels(Map.of("team", "x")))),
                peer(Optional.empty(), Optional.of(LabelSelector.all())),
                peer(Optional.of(LabelSelector.all()), Optional.empty()));
    }

    @Test
    void egressPeersComeFromTo() throws Exception {
        NetworkPolicy policy = policy("podSelector: {}\negress:\n- to:\n  - podSelector: {matchLabels: {app: dns}}\n");

        assertThat(policy.egress().get(0).peers())
                .containsExactly(PolicyPeer.pods(LabelSelector.matchLabels(Map.of("app", "dns"))));
    }

    @Test
    void ipBlockKeepsCidrAndExcept() throws Exception {
        NetworkPolicy policy = policy("""
                podSelector: {}
                egress:
                - to:
                  - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0/16]}
                  - ipBlock: {cidr: "fd00::/8"}
                """);

        assertThat(policy.egress().get(0).peers()).extracting(p -> p.ipBlock().orElseThrow()).containsExactly(
                new IpBlock("10.0.0.0/8", List.of("10.1.0.0/16", "10.2.0.0/16")), new IpBlock("fd00::/8", List.of()));
    }

    @Test
    void portsKeepNumbersNamesEndPortAndProtocolAsWritten() throws Exception {
        NetworkPolicy policy = policy("""
                podSelector: {}
                ingress:
                - ports:
                  - port: 80
                  - {protocol: UDP, port: dns}
                  - {protocol: TCP, port: 30000, endPort: 32767}
                  - protocol: SCTP
                  - {}
                """);

        assertThat(policy.ingress().get(0).ports()).containsExactly(
                new PolicyPort(Optional.empty(), Optional.of(new PortRef.Number(80)), Optional.empty()),
                new PolicyPort(Optional.of("UDP"), Optional.of(new PortRef.Named("dns")), Optional.empty()),
                PolicyPort.range("TCP", 30000, 32767),
                new PolicyPort(Optional.of("SCTP"), Optional.empty(), Optional.empty()),
                new PolicyPort(Optional.empty(), Optional.empty(), Optional.empty()));
    }

    @Test
    void aQuotedNumberIsANamedPortForTheCompilerToReject() throws Exception {
        NetworkPolicy policy = policy("podSelector: {}\ningress:\n- ports:\n  - port: \"80\"\n");

        assertThat(policy.ingress().get(0).ports().get(0).port()).contains(new PortRef.Named("80"));
    }

    @Test
    void aKubectlDumpConvertsWholly() throws Exception {
        Conversion conversion = convert(java.nio.file.Files.readString(snapshot("kubectl-list.yaml")));

        Pod api = conversion.snapshot().pods().get(0);
        assertThat(api.ref()).isEqualTo("prod/api-7c9d8b6f5-x2x9k");
        assertThat(api.ips()).containsExactly("10.244.1.5", "fd00:10:244:1::5");
        assertThat(api.ports()).extracting(ContainerPort::name).containsExactly("http", "metrics", "proxy");
        assertThat(api.participates()).isTrue();
        assertThat(conversion.snapshot().namespaces()).extracting(Namespace::name).containsExactly("prod", "default");
        assertThat(conversion.snapshot().policies().get(0).ingress().get(0).ports())
                .containsExactly(PolicyPort.named("TCP", "pg"));
        assertThat(conversion.diagnostics()).isEmpty();
    }

    // --- what the API server would refuse

    @Test
    void aContainerPortOutOfRangeIsIgnoredWithOneDiagnostic() throws Exception {
        Conversion c = convert("kind: Pod\nmetadata: {name: web, namespace: a}\nspec:\n  containers:\n  - name: m\n"
                + "    ports: [{containerPort: 70000, name: http}, {containerPort: 0}, {containerPort: 80, name: web}]\n");

        assertThat(c.snapshot().pods().get(0).ports()).extracting(ContainerPort::port).containsExactly(80);
        assertThat(c.diagnostics()).extracting(Diagnostic::format).containsExactly(
                "Pod a/web: spec.containers[0].ports[0].containerPort: port 70000 is outside 1-65535 (port ignored)",
                "Pod a/web: spec.containers[0].ports[1].containerPort: port 0 is outside 1-65535 (port ignored)");
    }

    @Test
    void aContainerPortWithAnInvalidNameIsIgnored() throws Exception {
        Conversion c = convert("kind: Pod\nmetadata: {name: web, namespace: a}\nspec:\n  containers:\n  - name: m\n"
                + "    ports: [{containerPort: 8080, name: Web_Port}]\n");

        assertThat(c.snapshot().pods().get(0).ports()).isEmpty();
        assertThat(c.diagnostics()).singleElement().extracting(Diagnostic::field)
                .isEqualTo("spec.containers[0].ports[0].name");
    }

    @Test
    void invalidLabelsOfPodsAndNamespacesAreIgnoredAndTheValidOnesKept() throws Exception {
        Conversion c = convert("""
                kind: Namespace
                metadata: {name: a, labels: {"bad key": x, team: ops}}
                ---
                kind: Pod
                metadata: {name: web, namespace: a, labels: {app: "w\\0eb", tier: front, long: %s}}
                """.formatted("v".repeat(64)));

        assertThat(c.snapshot().pods().get(0).labels()).isEqualTo(Map.of("tier", "front"));
        assertThat(c.snapshot().namespaces().get(0).labels()).containsEntry("team", "ops").doesNotContainKey("bad key");
        assertThat(c.diagnostics()).extracting(Diagnostic::kind, Diagnostic::object, Diagnostic::field)
                .containsExactlyInAnyOrder(tuple("Namespace", "a", "metadata.labels"), tuple("Pod", "a/web", "metadata.labels"),
                        tuple("Pod", "a/web", "metadata.labels"));
        assertThat(c.diagnostics()).extracting(Diagnostic::format)
                .anySatisfy(line -> assertThat(line).contains("label value \"w\\u0000eb\"").endsWith("(label ignored)"));
    }

    @Test
    void labelsAtTheSizeLimitsAndUnicodeNamesAreTold() throws Exception {
        Conversion c = convert("kind: Pod\nmetadata: {name: wéb, namespace: a, labels: {%s: %s}}\n"
                .formatted("example.com/" + "k".repeat(63), "v".repeat(63)));

        assertThat(c.snapshot().pods().get(0).labels()).hasSize(1);
        assertThat(c.diagnostics()).extracting(Diagnostic::format).containsExactly(
                "Pod a/wéb: metadata.name: pod name \"wéb\" must be at most 253 lower-case letters, digits, '-' and "
                        + "'.', starting and ending with a letter or digit");
    }
}

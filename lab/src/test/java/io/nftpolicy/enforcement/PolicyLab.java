package io.nftpolicy.enforcement;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Node;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.compile.Compilation;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabException;
import io.nftpolicy.lab.LabOptions;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.reachability.Reachability;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.testing.PodFixture;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A lab running a cluster model, with the compiler in the loop: {@link #enforce} compiles the current snapshot for
 * every node and loads each node's script into that node, {@link #check} probes the real kernel and compares with
 * an expectation. The snapshot can be changed between steps (labels, phases, extra pods) without touching the lab
 * pods, which is how label updates and pod lifecycle are simulated: only the compiled rules change.
 *
 * <p>One per test class ({@code @BeforeAll}/{@code @AfterAll}); {@link #reset()} before each test.
 */
final class PolicyLab implements AutoCloseable {
    /** Blocked cells cost one of these per probe round; override with -Dkernel.probeTimeoutMs. */
    static final Duration PROBE_TIMEOUT = Duration.ofMillis(Long.getLong("kernel.probeTimeoutMs", 300));

    private final Lab lab;
    private final UpstreamModel model;
    private final Layout layout;
    private final PolicyCompiler compiler = new PolicyCompiler();
    private final Map<String, Namespace> namespaces = new LinkedHashMap<>();
    private final Map<String, Pod> pods = new LinkedHashMap<>();
    private final Map<String, Set<IpFamily>> labFamilies = new LinkedHashMap<>();
    private final Map<String, String> extraScript = new TreeMap<>();
    private final Map<String, String> scripts = new TreeMap<>();
    private List<NetworkPolicy> policies = List.of();
    private List<ClusterNetworkPolicy> clusterPolicies = List.of();
    private List<Node> nodes = List.of();
    private List<Diagnostic> diagnostics = List.of();

    Layout layout() {
        return layout;
    }

    private PolicyLab(Lab lab, UpstreamModel model, Layout layout) {
        this.lab = lab;
        this.model = model;
        this.layout = layout;
        for (LabPod p : model.labPods()) {
            Set<IpFamily> families = EnumSet.noneOf(IpFamily.class);
            p.addresses().forEach(a -> families.add(IpAddress.parse(a).family()));
            labFamilies.put(p.name(), families);
        }
        restoreModel();
    }

    static PolicyLab start(UpstreamModel model) throws LabException {
        return start(model, Layout.RULE_PER_PEER);
    }

    /** @param layout the chain shape every {@link #enforce} compiles to (policies are padded for MERGED_SETS) */
    static PolicyLab start(UpstreamModel model, Layout layout) throws LabException {
        long start = System.nanoTime();
        Lab lab = Lab.start(model.labPods(), LabOptions.defaults().withProbeTimeout(PROBE_TIMEOUT));
        System.out.printf("lab %s started in %d ms%n%s", lab.prefix(), (System.nanoTime() - start) / 1_000_000,
                lab.describe());
        return new PolicyLab(lab, model, layout);
    }

    /** Back to the model's snapshot, no policy, no extra rules: every node gets the ruleset of "no policy". */
    void reset() throws LabException {
        restoreModel();
        clusterPolicies = List.of();
        nodes = List.of();
        extraScript.clear();
        enforce(List.of());
    }

    private void restoreModel() {
        namespaces.clear();
        pods.clear();
        model.namespaces().forEach(ns -> namespaces.put(ns.name(), ns));
        model.pods().forEach(p -> pods.put(p.ref(), p));
    }

    // ---- the snapshot ----

    /** Replaces a pod of the snapshot (the lab pod stays as it is). */
    void updatePod(String ref, UnaryOperator<Pod> change) {
        Pod pod = pods.get(ref);
        if (pod == null) {
            throw new IllegalArgumentException("no pod " + ref + " in the snapshot: " + pods.keySet());
        }
        pods.put(ref, change.apply(pod));
    }

    /** Adds a pod to the snapshot only: there is no lab pod behind it (a hostNetwork pod, a pod reusing an IP). */
    void addPod(Pod pod) {
        pods.put(pod.ref(), pod);
    }

    /** Removes a pod from the snapshot only (the lab pod keeps running, as an address nobody knows). */
    void removePod(String ref) {
        if (pods.remove(ref) == null) {
            throw new IllegalArgumentException("no pod " + ref + " in the snapshot: " + pods.keySet());
        }
    }

    void relabelPod(String ref, Map<String, String> labels) {
        updatePod(ref, p -> PodFixture.from(p).labels(labels).build());
    }

    void relabelNamespace(String name, Map<String, String> labels) {
        namespaces.put(name, new Namespace(name, labels));
    }

    ClusterSnapshot snapshot(List<NetworkPolicy> policies) {
        return new ClusterSnapshot(new ArrayList<>(namespaces.values()), new ArrayList<>(pods.values()), policies)
                .withTiers(clusterPolicies, nodes);
    }

    // ---- enforcing ----

    /** Compiles and loads these ClusterNetworkPolicy objects and Node objects with the NetworkPolicies, as enforce. */
    void enforceTiers(List<ClusterNetworkPolicy> tiers, List<Node> nodeObjects, NetworkPolicy... policies)
            throws LabException {
        clusterPolicies = List.copyOf(tiers);
        nodes = List.copyOf(nodeObjects);
        enforce(policies);
    }

    /** Compiles the snapshot with these policies for every node, expects no diagnostics, loads every node. */
    void enforce(NetworkPolicy... policies) throws LabException {
        enforce(List.of(policies));
    }

    void enforce(List<NetworkPolicy> policies) throws LabException {
        List<Diagnostic> found = enforceAllowingDiagnostics(policies);
        assertThat(found).as("diagnostics compiling %s", policies).isEmpty();
    }

    /** As {@link #enforce}, but returns the diagnostics (the union over nodes) instead of failing on them. */
    List<Diagnostic> enforceAllowingDiagnostics(List<NetworkPolicy> policies) throws LabException {
        this.policies = layout.apply(List.copyOf(policies));
        ClusterSnapshot snapshot = snapshot(this.policies);
        Set<Diagnostic> found = new LinkedHashSet<>();
        scripts.clear();
        for (String node : lab.nodeNames()) {
            Compilation compilation = compiler.compile(snapshot, node);
            found.addAll(compilation.diagnostics());
            scripts.put(node, NftRenderer.render(compilation.ruleset()));
            if (layout == Layout.MERGED_SETS) {
                // merged: the policies' own peers are matched by the chain's own sets, or by egress named ports
                for (Chain chain : compilation.ruleset().chains()) {
                    for (Rule rule : chain.hook().isEmpty() ? chain.rules() : List.<Rule>of()) {
                        boolean own = rule.statement().contains("@" + chain.name() + "-")
                                || rule.statement().contains(" . th dport @dst-");
                        assertThat(own || rule.sources().stream().allMatch(s -> s.rule() == 0))
                                .as("rule %s of chain %s on %s is the filler's or in the merged-set shape\n%s",
                                        rule, chain.name(), node, scripts.get(node)).isTrue();
                    }
                }
            }
        }
        for (String node : lab.nodeNames()) {
            lab.load(node, scripts.get(node) + extraScript.getOrDefault(node, ""));
        }
        diagnostics = List.copyOf(found);
        return diagnostics;
    }

    /** nft text loaded after the compiled table at every later {@link #enforce} on that node, until reset. */
    void addToNode(String node, String nftScript) {
        extraScript.put(node, nftScript);
    }

    // ---- probing ----

    Reachability probe(Endpoint... endpoints) {
        return lab.probe(List.of(endpoints));
    }

    boolean connects(String from, String to, Endpoint endpoint) {
        return connects(from, to, endpoint, IpFamily.IPV4);
    }

    /** One probe; a blocked one is repeated once (see {@link #check(Reachability)} for why that is sound). */
    boolean connects(String from, String to, Endpoint endpoint, IpFamily family) {
        return lab.connects(from, to, endpoint, family) || lab.connects(from, to, endpoint, family);
    }

    /**
     * Opens a TCP connection from inside a pod to any address (a ClusterIP, say) and returns the first line the
     * server answers (lab pods answer with their name), or null when nothing answers in time.
     */
    String tcpAnswer(String fromPod, String host, int port) throws Exception {
        String answer = tcpAnswerOnce(fromPod, host, port);
        return answer != null ? answer : tcpAnswerOnce(fromPod, host, port); // once more, as for probes
    }

    private String tcpAnswerOnce(String fromPod, String host, int port) throws Exception {
        return lab.callIn(fromPod, () -> {
            try (Socket socket = new Socket()) {
                int timeout = (int) PROBE_TIMEOUT.toMillis() * 2;
                socket.connect(new InetSocketAddress(InetAddress.getByName(host), port), timeout);
                socket.setSoTimeout(timeout);
                socket.getOutputStream().write('?');
                socket.getOutputStream().flush();
                return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))
                        .readLine();
            } catch (IOException e) {
                return null;
            }
        });
    }

    /** Probes every endpoint of the expectations at once and asserts the kernel agrees on every cell. */
    Reachability check(Expect... expectations) {
        Map<Reachability.Cell, Boolean> cells = new LinkedHashMap<>();
        for (Expect e : expectations) {
            for (IpFamily family : e.families()) {
                for (String from : labFamilies.keySet()) {
                    for (String to : labFamilies.keySet()) {
                        if (!from.equals(to) && labFamilies.get(from).contains(family)
                                && labFamilies.get(to).contains(family)) {
                            cells.put(new Reachability.Cell(e.endpoint(), family, from, to), e.allowed(from, to));
                        }
                    }
                }
            }
        }
        return check(new Reachability(cells));
    }

    /**
     * Probes the endpoints of an upstream-style table ({@link Reachability#parse}) and asserts the kernel agrees;
     * cells of a pod towards itself are not compared.
     */
    Reachability checkTable(String table) {
        return check(Reachability.parse(table));
    }

    Reachability check(Reachability expected) {
        Map<Reachability.Cell, Boolean> withoutSelf = new LinkedHashMap<>();
        expected.cells().forEach((cell, allowed) -> {
            if (!cell.from().equals(cell.to())) {
                withoutSelf.put(cell, allowed);
            }
        });
        Reachability wanted = new Reachability(withoutSelf);
        Set<Endpoint> endpoints = new LinkedHashSet<>();
        wanted.cells().keySet().forEach(c -> endpoints.add(c.endpoint()));
        Reachability actual = lab.probe(List.copyOf(endpoints));
        List<String> differences = actual.differences(wanted);
        Reachability first = actual;
        boolean missedConnection = wanted.cells().entrySet().stream()
                .anyMatch(e -> e.getValue() && !first.cells().getOrDefault(e.getKey(), false));
        if (missedConnection) {
            // A probe only counts as connected when the destination pod answered with its name, so "connected" is
            // never wrong; "blocked" may be a packet lost on a busy machine (TCP does not resend a SYN within the
            // probe timeout). So probe once more and count a cell as connected when either round connected: a
            // cell that should be blocked still fails, one that should connect fails only when blocked twice.
            System.out.println("re-probing once after " + differences.size() + " difference(s): " + differences);
            Reachability again = lab.probe(List.copyOf(endpoints));
            Map<Reachability.Cell, Boolean> either = new LinkedHashMap<>(actual.cells());
            again.cells().forEach((cell, connected) -> either.merge(cell, connected, Boolean::logicalOr));
            actual = new Reachability(either);
            differences = actual.differences(wanted);
        }
        Reachability result = actual;
        assertThat(differences).as(() -> "the kernel disagrees with the expectation\n\nexpected:\n" + render(wanted)
                + "\nactual:\n" + render(result) + "\n" + state()).isEmpty();
        return result;
    }

    /** As {@link Reachability#render()}, with rows and columns in the lab's pod order and "-" where not compared. */
    String render(Reachability reachability) {
        Map<String, Map<Reachability.Cell, Boolean>> tables = new LinkedHashMap<>();
        reachability.cells().forEach((cell, connected) -> tables
                .computeIfAbsent(cell.endpoint().label() + " " + (cell.family() == IpFamily.IPV4 ? "IPv4" : "IPv6"),
                        t -> new LinkedHashMap<>())
                .put(cell, connected));
        List<String> pods = lab.podNames();
        int width = pods.stream().mapToInt(String::length).max().orElse(3);
        StringBuilder out = new StringBuilder();
        tables.forEach((title, cells) -> {
            Reachability.Cell any = cells.keySet().iterator().next();
            out.append(title).append('\n').append(" ".repeat(width));
            pods.forEach(p -> out.append(' ').append(pad(p, width)));
            out.append('\n');
            for (String from : pods) {
                out.append(pad(from, width));
                for (String to : pods) {
                    Boolean connected = cells.get(new Reachability.Cell(any.endpoint(), any.family(), from, to));
                    out.append(' ').append(pad(connected == null ? "-" : connected ? "." : "X", width));
                }
                out.append('\n');
            }
            out.append('\n');
        });
        return out.toString();
    }

    private static String pad(String text, int width) {
        return text + " ".repeat(Math.max(0, width - text.length()));
    }

    /** The policies, diagnostics and every node's compiled script: what a failure message needs. */
    String state() {
        StringBuilder out = new StringBuilder("policies:\n");
        policies.forEach(p -> out.append("  ").append(p).append('\n'));
        out.append("diagnostics:\n");
        diagnostics.forEach(d -> out.append("  ").append(d.format()).append('\n'));
        scripts.forEach((node, script) -> out.append("\n# ruleset of ").append(node).append('\n').append(script)
                .append(extraScript.getOrDefault(node, "")));
        return out.toString();
    }

    String script(String node) {
        return scripts.get(node);
    }

    Lab lab() {
        return lab;
    }

    /** The IPv4 address of a node's flannel.1: the source of its traffic to other nodes' pods. */
    String overlayAddress(String node) {
        Matcher m = Pattern.compile("(?m)^node " + Pattern.quote(node) + " \\(.*flannel\\.1 (\\d+\\.\\d+\\.\\d+\\.\\d+) ")
                .matcher(lab.describe());
        if (!m.find()) {
            throw new IllegalStateException("no flannel.1 address of " + node + " in\n" + lab.describe());
        }
        return m.group(1);
    }

    @Override
    public void close() {
        lab.close();
    }
}

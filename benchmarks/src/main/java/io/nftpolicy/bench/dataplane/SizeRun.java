package io.nftpolicy.bench.dataplane;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.compile.RuleCounters;
import io.nftpolicy.compile.StagedChains;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.lab.ConnectionRate;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One cluster size: generate, compile both nodes, lay the same policies out linearly, place lab pods on the probed
 * pods' addresses, check that both layouts allow and deny what the policies say, then measure the rounds.
 */
final class SizeRun {
    private static final List<String> NODES = List.of(ProbePlan.SERVER_NODE, ProbePlan.OTHER_NODE);
    private final Options options;
    /** The order of a round, as the method asks: a, b, (b+, d, e, b',) c, no table; a round repeats it in slices. */
    private final List<Layout> round;
    private final Options.Cluster cluster;
    private final PrintStream log;

    SizeRun(Options options, Options.Cluster cluster, PrintStream log) {
        this.options = options;
        this.cluster = cluster;
        this.log = log;
        List<Layout> layouts = new ArrayList<>(List.of(Layout.STATEFUL, Layout.COMPILED));
        if (options.clusterPolicies() > 0) {
            layouts.add(Layout.TIERED);
        }
        if (options.counters()) {
            layouts.add(Layout.COUNTED);
        }
        if (options.staged()) {
            layouts.add(Layout.STAGED);
        }
        if (options.twin()) {
            layouts.add(Layout.TWIN);
        }
        layouts.addAll(List.of(Layout.LINEAR, Layout.NONE));
        this.round = List.copyOf(layouts);
    }

    SizeResult run() throws Exception {
        ClusterGenerator.Size size = cluster.generatorSize(options.perNamespace(), options.seed());
        log.printf("%n== %s (%d namespaces x %d pods, %d policies per namespace, 2 nodes, seed %d)%n",
                cluster.label(), size.namespaces(), size.podsPerNamespace(), size.policiesPerNamespace(), size.seed());
        ClusterSnapshot snapshot = ClusterGenerator.generate(size);
        Map<String, Ruleset> compiled = new LinkedHashMap<>();
        Map<String, LinearLayout> linear = new LinkedHashMap<>();
        Map<String, String> scripts = new LinkedHashMap<>();
        Map<String, Ruleset> counted = new LinkedHashMap<>();
        for (String node : NODES) {
            long start = System.nanoTime();
            // The product's ruleset: established flows are judged again after a change (the default).
            compiled.put(node, new EstablishedFlows().apply(new PolicyCompiler().compile(snapshot, node).ruleset()));
            linear.put(node, LinearLayout.of(snapshot, node));
            scripts.put(node, script(compiled.get(node), linear.get(node), counted, node));
            log.printf("   %s: compiled %d rules, %d elements; linear %d rules; %.1f s%n", node,
                    compiled.get(node).ruleCount(), compiled.get(node).elementCount(),
                    linear.get(node).ruleset().ruleCount(), (System.nanoTime() - start) / 1e9);
        }
        ProbePlan plan = ProbePlan.choose(snapshot, compiled, linear.get(ProbePlan.SERVER_NODE));
        log.printf("   server %s (%s, on %s), selected by %d ingress policies%n", plan.server().ref(),
                plan.server().ips().get(0), plan.server().nodeName(), plan.serverPolicies());
        plan.probes().forEach(p -> log.printf("   %s %s %s:%d  (server chain: rule %d of %d decides; client egress "
                        + "rules evaluated: %d)%n", p.allowed() ? "allowed" : "denied ", p.placement().label,
                p.client().ref(), p.port(), p.ingressRule(), p.ingressRules(), p.egressRules()));
        Ruleset tiered = null;
        if (options.clusterPolicies() > 0) {
            // Chosen on the NetworkPolicies alone, the probes keep their verdicts: these policies decide none of them.
            // (b+) is (b) with them, in a table of its own, measured in the same rounds.
            ClusterSnapshot withTiers = snapshot.withTiers(UndecidingClusterPolicies.of(snapshot, plan,
                    options.clusterPolicies(), options.alternating()), List.of());
            for (String node : NODES) {
                long start = System.nanoTime();
                Ruleset r = new EstablishedFlows().apply(new PolicyCompiler().compile(withTiers, node).ruleset());
                scripts.put(node, scripts.get(node) + NftRenderer.render(inTable(r, Layout.TIERED)));
                log.printf("   %s: (b+) with %d ClusterNetworkPolicies (%s): %d rules, %d elements, %d tier chains, "
                                + "%d bytes of nft text against %d; %.1f s%n", node, options.clusterPolicies(),
                        options.alternating() ? "Accept and Deny in turn" : "all Deny", r.ruleCount(),
                        r.elementCount(), r.chains().stream().filter(c -> c.name().startsWith("cnp-")).count(),
                        NftRenderer.render(r).length(), NftRenderer.render(compiled.get(node)).length(),
                        (System.nanoTime() - start) / 1e9);
                if (node.equals(ProbePlan.SERVER_NODE)) {
                    tiered = r;
                }
            }
        }

        if (options.staged()) {
            // Without the tiers, as (d): (e) differs from (d) by the staged policies alone.
            ClusterSnapshot staged = StagedDenyAll.of(snapshot, plan);
            for (String node : NODES) {
                Ruleset ruleset = new RuleCounters().apply(new EstablishedFlows().apply(new PolicyCompiler()
                        .compile(staged, node).ruleset()));
                ruleset = inTable(ruleset, Layout.STAGED);
                scripts.put(node, scripts.get(node) + NftRenderer.render(ruleset));
                log.printf("   %s: with staged deny-alls: %d rules, %d elements, %d staged chains%n", node,
                        ruleset.ruleCount(), ruleset.elementCount(),
                        ruleset.chains().stream().filter(StagedChains::isStagedChain).count());
            }
        }

        // (0) runs on a twin lab that never holds a table: the same pods, addresses and wiring in namespaces of its
        // own. Then no round has to flush and reload the rulesets, and (0) interleaves with the others.
        try (Lab lab = Lab.start(labPods(plan)); Lab bare = Lab.start(labPods(plan))) {
            Map<Layout, Lab> labOf = new EnumMap<>(Layout.class);
            round.forEach(l -> labOf.put(l, l == Layout.NONE ? bare : lab));
            long bytes = scripts.values().stream().mapToLong(String::length).sum();
            for (String node : NODES) {
                lab.load(node, scripts.get(node));
            }
            Duration settle = options.settleAfter(bytes);
            log.printf("   loaded %.1f MB of scripts; pausing %.1f s%n", bytes / 1e6, settle.toMillis() / 1000.0);
            Thread.sleep(settle.toMillis());
            verify(labOf, plan);
            Map<Layout, Map<ProbePlan.Placement, List<Double>>> rates = new EnumMap<>(Layout.class);
            round.forEach(l -> rates.put(l, new EnumMap<>(ProbePlan.Placement.class)));
            int failures = 0;
            Duration slice = options.round().dividedBy(options.slices());
            for (int r = 0; r < options.rounds(); r++) {
                Map<Layout, Map<ProbePlan.Placement, ConnectionRate>> measured = new EnumMap<>(Layout.class);
                // Switching is cheap (a dormant flag, or the other lab): interleave the four in slices, so that a
                // change of the machine's load during the round hits all of them alike.
                for (int s = 0; s < options.slices(); s++) {
                    for (Layout layout : round) {
                        activate(lab, layout);
                        measure(labOf.get(layout), plan, slice, measured.computeIfAbsent(layout, SizeRun::byPlacement));
                    }
                }
                for (Layout layout : round) {
                    measured.get(layout).forEach((placement, rate) ->
                            rates.get(layout).computeIfAbsent(placement, p -> new ArrayList<>()).add(rate.perSecond()));
                    failures += measured.get(layout).values().stream().mapToInt(ConnectionRate::failures).sum();
                }
                log.printf("   round %d%s:", r, r == 0 ? " (warm-up, discarded)" : "");
                for (Layout layout : round) {
                    log.printf("  %s", layout.letter);
                    rates.get(layout).values().forEach(v -> log.printf(" %.0f", v.get(v.size() - 1)));
                }
                log.println();
            }
            IpAddress server = IpAddress.parse(plan.server().ips().get(0));
            return new SizeResult(cluster, size, plan, compiled.get(ProbePlan.SERVER_NODE), tiered,
                    counted.get(ProbePlan.SERVER_NODE),
                    linear.get(ProbePlan.SERVER_NODE).ruleset(),
                    linear.get(ProbePlan.SERVER_NODE).linesWalked(server),
                    linear.get(ProbePlan.OTHER_NODE).ruleset().chains().get(0).rules().size(),
                    rates, failures);
        }
    }

    /**
     * The node's tables: (a), (b), (c), and with {@code --counters} (d), the ruleset of (b) counting as the product
     * applies it ({@link RuleCounters}, after {@link EstablishedFlows}), in a table of its own.
     */
    private String script(Ruleset compiled, LinearLayout linear, Map<String, Ruleset> counted, String node) {
        String script = Layout.statefulTable() + NftRenderer.render(compiled) + NftRenderer.render(linear.ruleset())
                + (options.twin() ? NftRenderer.render(inTable(compiled, Layout.TWIN)) : "");
        if (!options.counters()) {
            return script;
        }
        counted.put(node, inTable(new RuleCounters().apply(compiled), Layout.COUNTED));
        return script + NftRenderer.render(counted.get(node));
    }

    private static Ruleset inTable(Ruleset ruleset, Layout layout) {
        return new Ruleset(ruleset.family(), layout.table, ruleset.comment(), ruleset.sets(), ruleset.maps(),
                ruleset.chains());
    }

    private static Map<ProbePlan.Placement, ConnectionRate> byPlacement(Layout layout) {
        return new EnumMap<>(ProbePlan.Placement.class);
    }

    /** Measures each placement's allowed probe for {@code duration}, adding to what {@code into} holds. */
    private void measure(Lab lab, ProbePlan plan, Duration duration,
                         Map<ProbePlan.Placement, ConnectionRate> into) throws Exception {
        for (ProbePlan.Placement placement : options.placements()) {
            ProbePlan.Probe probe = plan.allowed(placement);
            ConnectionRate rate = ConnectionRate.measure(lab, probe.client().ref(), plan.server().ref(),
                    Endpoint.tcp(probe.port()), IpFamily.IPV4, duration);
            into.merge(placement, rate, ConnectionRate::plus);
        }
    }

    /** The server serves every probed port; clients serve nothing. Pods keep their generated names and addresses. */
    private static List<LabPod> labPods(ProbePlan plan) {
        TreeSet<Integer> ports = new TreeSet<>();
        plan.probes().forEach(p -> ports.add(p.port()));
        List<LabPod> pods = new ArrayList<>();
        Pod server = plan.server();
        pods.add(new LabPod(server.ref(), server.nodeName(), server.ips(), ports.stream().map(Endpoint::tcp).toList()));
        for (ProbePlan.Probe probe : plan.probes()) {
            Pod client = probe.client();
            if (pods.stream().noneMatch(p -> p.name().equals(client.ref()))) {
                pods.add(new LabPod(client.ref(), client.nodeName(), client.ips(), List.of()));
            }
        }
        return pods;
    }

    /**
     * Both layouts must enforce the same thing for the comparison to mean anything: every allowed probe connects
     * and every denied one is dropped, under (b) and under (c); with (a) or no table everything connects.
     */
    private void verify(Map<Layout, Lab> labOf, ProbePlan plan) throws Exception {
        for (Layout layout : round) {
            Lab lab = labOf.get(layout);
            activate(labOf.get(Layout.STATEFUL), layout);
            for (ProbePlan.Probe probe : plan.probes()) {
                boolean expected = probe.allowed() || layout == Layout.STATEFUL || layout == Layout.NONE;
                boolean connects = lab.connects(probe.client().ref(), plan.server().ref(), Endpoint.tcp(probe.port()),
                        IpFamily.IPV4);
                if (connects != expected) {
                    throw new IllegalStateException(String.format("under %s, %s -> %s:%d %s, but the policies %s it",
                            layout.label(), probe.client().ref(), plan.server().ref(), probe.port(),
                            connects ? "connects" : "is dropped", probe.allowed() ? "allow" : "deny"));
                }
            }
        }
        log.printf("   verified: under (b)%s and (c) the allowed probes connect and the denied ones are dropped%n",
                (options.clusterPolicies() > 0 ? ", (b+)" : "") + (options.counters() ? ", (d)" : "")
                        + (options.staged() ? ", (e)" : "") + (options.twin() ? ", (b')" : ""));
    }

    /** Makes {@code layout}'s table the only active one in every node; for (0) nothing changes in this lab. */
    private static void activate(Lab lab, Layout layout) throws Exception {
        if (layout == Layout.NONE) {
            return;
        }
        for (String node : NODES) {
            lab.apply(node, layout.activation());
        }
    }
}

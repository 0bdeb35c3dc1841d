package io.nftpolicy.compile;

import com.google.common.collect.ArrayListMultimap;
import com.google.common.collect.ListMultimap;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.tier.TierCompiler;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Compiles a cluster snapshot into the ruleset one node enforces, from scratch. Stateless and thread-safe: the
 * reference that {@link IncrementalCompiler}, which reuses the previous compilation, always agrees with.
 *
 * <p>Only this node's pods get chains; every pod of the cluster can be a peer. Pods are grouped per direction by
 * what they share ({@link PodGrouping}), and each group gets one chain: a rule per peer over shared peer sets
 * ({@link GroupRules}), and, for the peers beyond what a chain has rules for, merged sets ({@link Allowances}).
 * See {@link RulesetAssembler} for the table's shape.
 *
 * <p>A policy that cannot be compiled (the compiler throws on it) is that policy's failure, found and reported by
 * {@link PolicyFailures}: it is compiled as an invalid policy, failing closed, and the rest of the node compiles.
 */
public final class PolicyCompiler {

    /** A compilation, and the policies that could not be compiled in it, by namespace/name. */
    record Outcome(Compilation compilation, Map<String, PolicyFailures.Failure> failures) {}

    public Compilation compile(ClusterSnapshot snapshot, String nodeName) {
        return compileReportingFailures(snapshot, nodeName).compilation();
    }

    /** Compiles again without each policy found to fail, until none does. */
    Outcome compileReportingFailures(ClusterSnapshot snapshot, String nodeName) {
        Map<String, PolicyFailures.Failure> failures = new TreeMap<>();
        while (true) {
            try {
                return new Outcome(attempt(snapshot, nodeName, failures), Map.copyOf(failures));
            } catch (PolicyFailures.GroupFailed e) {
                e.failures.forEach(f -> failures.put(f.ref(), f));
            }
        }
    }

    private Compilation attempt(ClusterSnapshot snapshot, String nodeName, Map<String, PolicyFailures.Failure> failures) {
        List<Diagnostic> diagnostics = new ArrayList<>();
        ClusterIndex index = new ClusterIndex(snapshot, diagnostics);

        List<NetworkPolicy> ordered = new ArrayList<>(snapshot.policies());
        ordered.sort(Comparator.comparing(NetworkPolicy::namespace).thenComparing(NetworkPolicy::name));
        ListMultimap<String, ValidPolicy> policiesByNamespace = ArrayListMultimap.create();
        // Staged policies with the enforced ones, for the staged chains: what the pods would get if they were enforced.
        ListMultimap<String, ValidPolicy> withStaged = ArrayListMultimap.create();
        Set<String> staged = new java.util.HashSet<>();
        for (NetworkPolicy policy : ordered) {
            ValidPolicy valid = PolicyValidator.validate(policy, diagnostics);
            PolicyFailures.Failure failure = failures.get(policy.ref());
            if (failure != null && valid.valid()) {
                diagnostics.add(failure.diagnostic(valid));
                valid = PolicyFailures.failClosed(valid);
            }
            if (policy.staged()) {
                staged.add(policy.ref());
            } else {
                policiesByNamespace.put(policy.namespace(), valid);
            }
            withStaged.put(policy.namespace(), valid);
        }

        PeerSets peerSets = new PeerSets();
        RulesetAssembler assembler = new RulesetAssembler();
        Peers peers = new PeerResolver(index);
        Allowances.PeerAddresses addresses = new Allowances.PeerAddresses();
        Set<IpFamily> families = index.families();
        List<ClusterIndex.Member> local = index.localMembers(nodeName);
        TierCompiler tiers = new TierCompiler(snapshot, families, diagnostics);
        for (PolicyType direction : PolicyType.values()) {
            Map<ClusterIndex.Member, String> chainOf = new IdentityHashMap<>();
            for (PodGroup group : group(direction, local, policiesByNamespace)) {
                String chainName = RulesetAssembler.chainName(group);
                group.members.forEach(m -> chainOf.put(m, chainName));
                try {
                    assembler.add(group, chain(group, chainName, families, peers, addresses, peerSets));
                } catch (RuntimeException e) {
                    throw PolicyFailures.blame(group, e, g -> chain(g, RulesetAssembler.chainName(g), families, peers,
                            new Allowances.PeerAddresses(), new PeerSets()));
                }
            }
            if (!staged.isEmpty()) {
                assembler.stage();
                for (PodGroup group : group(direction, local, withStaged)) {
                    if (group.policies.stream().noneMatch(p -> staged.contains(p.ref()))) {
                        continue; // enforced policies only: the pod's enforced chain says it all
                    }
                    String chainName = StagedChains.chainName(group);
                    try {
                        assembler.addStaged(direction, StagedChains.of(group,
                                chain(group, chainName, families, peers, addresses, peerSets), staged),
                                RulesetAssembler.dispatch(group, chainName));
                    } catch (RuntimeException e) {
                        throw PolicyFailures.blame(group, e, g -> chain(g, StagedChains.chainName(g), families, peers,
                                new Allowances.PeerAddresses(), new PeerSets()));
                    }
                }
            }
            index.contested().forEach((address, claimants) -> {
                MapElement target = ClusterIndex.dispatchTarget(address, claimants, chainOf::get);
                if (target != null) {
                    assembler.addContested(direction, target);
                }
            });
            if (!tiers.isEmpty()) {
                assembler.redirect(direction, tiers.compile(direction, local.stream()
                        .map(m -> new TierCompiler.LocalPod(m.pod(), m.dispatched(), chainOf.get(m))).toList()));
            }
        }
        assembler.addTiers(tiers.chains(), tiers.sets(), tiers.maps());
        return new Compilation(assembler.build(peerSets.all()), diagnostics);
    }

    /** The group's chain, its shared sets defined in {@code peerSets}. */
    private static RulesetAssembler.GroupChain chain(PodGroup group, String chainName, Set<IpFamily> families,
                                                     Peers peers, Allowances.PeerAddresses addresses,
                                                     PeerSets peerSets) {
        Optional<GroupRules.Plan> plan = GroupRules.plan(group, families);
        plan.ifPresent(p -> p.sets().forEach(spec -> peerSets.define(spec, s -> build(s, peers))));
        return GroupRules.chain(group, chainName, plan, peers, addresses);
    }

    private static NamedSet build(SetSpec spec, Peers peers) {
        return spec instanceof SetSpec.OfPods ofPods ? spec.build(peers.pods(ofPods.peer())) : spec.build(List.of());
    }

    /** The groups of local pods in one direction, in key order, each with its members in namespace/name order. */
    private static List<PodGroup> group(PolicyType direction, List<ClusterIndex.Member> local,
                                        ListMultimap<String, ValidPolicy> policiesByNamespace) {
        Map<String, PodGroup> groups = new TreeMap<>();
        for (ClusterIndex.Member pod : local) {
            PodGrouping.Selection selection = PodGrouping.select(direction, pod,
                    policiesByNamespace.get(pod.pod().namespace()));
            if (selection != null) {
                groups.computeIfAbsent(selection.key(), k -> new PodGroup(direction, k, selection.policies()))
                        .members.add(pod);
            }
        }
        return new ArrayList<>(groups.values());
    }
}

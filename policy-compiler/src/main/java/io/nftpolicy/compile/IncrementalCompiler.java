package io.nftpolicy.compile;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.VerdictMap;
import io.nftpolicy.tier.TierCompiler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Compiles successive snapshots of one cluster for one node, reusing what the previous compilation computed.
 *
 * <p>The result is always equal to {@link PolicyCompiler#compile} of the same snapshot. Objects whose content did
 * not change since the previous call are returned as the same instances, so that a consumer comparing two
 * rulesets (the backend's diff) can skip them by identity. Not thread-safe: one caller, one sequence of snapshots.
 *
 * <p>What is kept, and what invalidates it:
 * <ul>
 *   <li>pods and their parsed addresses ({@link ClusterState}): a pod is looked at again when it differs from the
 *       previous snapshot's pod of that uid (identity first, then equals), and so are the pods that claim one of
 *       its addresses;</li>
 *   <li>validated policies ({@link PolicyState}), per policy value;</li>
 *   <li>each selector peer's pods and set elements ({@link PeerCache}): a changed pod reaches only the peers that
 *       cover it before or after; a relabelled namespace drops the peers whose namespaceSelector it enters or
 *       leaves;</li>
 *   <li>each local pod's group key per direction: recomputed when the pod or its namespace's policies change;</li>
 *   <li>each group's chain by group key: kept while its policies are the same instances (and, for merged sets,
 *       while the pods of the peers it was built from keep their addresses and ports: a relabelled pod that stays in
 *       every such peer leaves it as it was);</li>
 *   <li>each shared set by name: rebuilt only when its elements changed;</li>
 *   <li>ClusterNetworkPolicy's tier part ({@link IncrementalTiers}): compiled again, as a whole, only when the
 *       cluster policies, Nodes, namespace labels, a pod peer of their rules, or a local pod's place (addresses,
 *       NetworkPolicy chain) changed; NetworkPolicy groups stay incremental either way.</li>
 * </ul>
 * What is new but equal to the previous result is replaced by the previous instance before it is returned.
 *
 * <p>When a compilation throws, the snapshot is compiled from scratch by {@link PolicyCompiler}, which finds the
 * policies to blame and fails them closed. They stay failed, without being tried again, while their object is
 * unchanged; the next compilations are incremental again.
 */
public final class IncrementalCompiler {
    private final String nodeName;
    private State state;
    private Ruleset previous;
    /** The policies that could not be compiled, with the object each failed as. */
    private Map<String, PolicyState.Failed> failed = Map.of();

    public IncrementalCompiler(String nodeName) {
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
    }

    public String nodeName() {
        return nodeName;
    }

    public Compilation compile(ClusterSnapshot snapshot) {
        if (state == null) {
            state = new State(failed);
        }
        Compilation compilation;
        try {
            if (snapshot.policies().stream().noneMatch(io.nftpolicy.policy.NetworkPolicy::staged)) {
                compilation = state.compile(snapshot);
            } else {
                // Staged policies are compiled in full each time (not incrementally yet): the same result.
                state = null;
                compilation = new PolicyCompiler().compile(snapshot, nodeName);
            }
        } catch (RuntimeException e) {
            state = null; // half updated: the next call starts from scratch
            PolicyCompiler.Outcome outcome = new PolicyCompiler().compileReportingFailures(snapshot, nodeName);
            failed = PolicyState.failed(snapshot.policies(), outcome.failures());
            compilation = outcome.compilation();
        }
        if (compilation == null) {
            // Two pods of one uid or policies of one name, which no API server sends: compile from scratch and start over.
            state = null;
            compilation = new PolicyCompiler().compile(snapshot, nodeName);
        }
        Ruleset ruleset = Reuse.of(previous, compilation.ruleset());
        previous = ruleset;
        return ruleset == compilation.ruleset() ? compilation : new Compilation(ruleset, compilation.diagnostics());
    }

    /** A local pod and where it belongs in each direction. */
    private static final class LocalPod {
        final ClusterIndex.Member member;
        final PodGrouping.Selection[] selections = new PodGrouping.Selection[PolicyType.values().length];

        LocalPod(ClusterIndex.Member member) {
            this.member = member;
        }
    }

    /** A group's chain, with what it was built from. */
    private static final class GroupEntry {
        final List<ValidPolicy> policies;
        final Set<IpFamily> families;
        final String chainName;
        final Optional<GroupRules.Plan> plan;
        final RulesetAssembler.GroupChain chain;
        /** Merged sets only: the peers they were built from, and the address versions they were at. */
        final List<PeerCache.Resolution> peers;
        final long[] versions;
        long used;
        /** The dispatch of the members it was last given (the same list while the groups are not laid out again). */
        List<ClusterIndex.Member> dispatched;
        List<MapElement> dispatch;

        GroupEntry(List<ValidPolicy> policies, Set<IpFamily> families, String chainName, Optional<GroupRules.Plan> plan,
                   RulesetAssembler.GroupChain chain, List<PeerCache.Resolution> peers) {
            this.policies = policies;
            this.families = families;
            this.chainName = chainName;
            this.plan = plan;
            this.chain = chain;
            this.peers = peers;
            this.versions = peers.stream().mapToLong(PeerCache.Resolution::addressVersion).toArray();
        }
    }

    /** A shared set of pods, with the elements it was built from. */
    private record BuiltSet(SetSpec spec, PeerCache.Elements elements, long version, NamedSet set) {}

    /** Everything kept between compilations. Thrown away when a snapshot cannot be followed. */
    private final class State {
        private final ClusterState cluster = new ClusterState();
        private final PolicyState policies;
        private final PeerCache peers = new PeerCache(cluster);
        private final IncrementalTiers tiers = new IncrementalTiers();
        private final TreeMap<String, TreeMap<ClusterState.ObjectName, LocalPod>> local = new TreeMap<>();
        /** Per direction: the group entries by group key, and the groups as last laid out. */
        private final List<Map<String, GroupEntry>> groups = List.of(new HashMap<>(), new HashMap<>());
        private final List<List<PodGroup>> laidOut = new ArrayList<>(java.util.Arrays.asList(null, null));
        private boolean regroup = true;
        private Map<String, BuiltSet> sets = new HashMap<>();
        private long generation;
        /** This compilation's. */
        private Allowances.PeerAddresses addresses;

        State(Map<String, PolicyState.Failed> failed) {
            policies = new PolicyState(failed);
        }

        Compilation compile(ClusterSnapshot snapshot) {
            ClusterState.Changes changes = cluster.update(snapshot.pods(), snapshot.namespaces());
            Set<String> policyNamespaces = changes == null ? null : policies.update(snapshot.policies());
            if (policyNamespaces == null) {
                return null;
            }
            generation++;
            peers.update(changes);
            for (ClusterState.MemberChange change : changes.members()) {
                if (change.before() != null && isLocal(change.before())) {
                    TreeMap<ClusterState.ObjectName, LocalPod> ns = local.get(change.namespace());
                    ns.remove(change.before().key());
                    if (ns.isEmpty()) {
                        local.remove(change.namespace());
                    }
                    regroup = true;
                }
                if (change.after() != null && isLocal(change.after())) {
                    LocalPod pod = new LocalPod(change.after());
                    select(pod, policies.of(change.namespace()));
                    local.computeIfAbsent(change.namespace(), n -> new TreeMap<>()).put(pod.member.key(), pod);
                    regroup = true;
                }
            }
            for (String ns : policyNamespaces) {
                for (LocalPod pod : local.getOrDefault(ns, new TreeMap<>()).values()) {
                    regroup |= select(pod, policies.of(ns));
                }
            }

            Set<IpFamily> families = cluster.families();
            PeerSets shared = new PeerSets();
            addresses = new Allowances.PeerAddresses();
            RulesetAssembler assembler = new RulesetAssembler();
            List<List<TierCompiler.LocalPod>> tierPods = new ArrayList<>();
            for (PolicyType direction : PolicyType.values()) {
                if (regroup) {
                    laidOut.set(direction.ordinal(), groups(direction));
                }
                Map<String, String> chainByKey = new HashMap<>();
                for (PodGroup group : laidOut.get(direction.ordinal())) {
                    GroupEntry entry = entry(group, families);
                    chainByKey.put(group.key, entry.chainName);
                    entry.used = generation;
                    entry.plan.ifPresent(p -> p.sets().forEach(spec -> shared.define(spec, this::build)));
                    if (entry.dispatched != group.members) {
                        entry.dispatch = RulesetAssembler.dispatch(group, entry.chainName);
                        entry.dispatched = group.members;
                    }
                    assembler.add(direction, entry.chain, entry.dispatch);
                }
                cluster.forEachContested((address, claimants) -> {
                    MapElement target = ClusterIndex.dispatchTarget(address, claimants, m -> chainOf(m, direction, chainByKey));
                    if (target != null) {
                        assembler.addContested(direction, target);
                    }
                });
                tierPods.add(snapshot.clusterPolicies().isEmpty() ? List.of() : tierPods(direction, chainByKey));
            }
            IncrementalTiers.Part tierPart = tiers.compile(snapshot, families, tierPods, changes.members());
            for (PolicyType direction : PolicyType.values()) {
                if (!tierPart.chains().isEmpty()) {
                    assembler.redirect(direction, tierPart.dispatch().get(direction.ordinal()));
                }
            }
            assembler.addTiers(tierPart.chains(), tierPart.sets(), tierPart.maps());
            Ruleset ruleset = assembler.build(shared.all());
            regroup = false;

            peers.sweep();
            groups.forEach(g -> g.values().removeIf(e -> e.used != generation));
            Map<String, BuiltSet> kept = new HashMap<>();
            for (NamedSet set : ruleset.sets()) {
                BuiltSet built = sets.get(set.name());
                if (built != null && built.set() == set) {
                    kept.put(set.name(), built);
                }
            }
            sets = kept;

            List<Diagnostic> diagnostics = new ArrayList<>();
            cluster.diagnostics().forEach(diagnostics::addAll);
            policies.diagnostics().forEach(diagnostics::addAll);
            diagnostics.addAll(tierPart.diagnostics());
            return new Compilation(ruleset, diagnostics);
        }

        /** The local pods, in namespace/name order, as the tiers see them in the direction. */
        private List<TierCompiler.LocalPod> tierPods(PolicyType direction, Map<String, String> chainByKey) {
            List<TierCompiler.LocalPod> out = new ArrayList<>();
            for (TreeMap<ClusterState.ObjectName, LocalPod> ns : local.values()) {
                for (LocalPod pod : ns.values()) {
                    ClusterIndex.Member m = pod.member;
                    out.add(new TierCompiler.LocalPod(m.pod(), m.dispatched(), chainOf(m, direction, chainByKey)));
                }
            }
            return out;
        }

        private boolean isLocal(ClusterIndex.Member member) {
            return ClusterIndex.isLocal(member, nodeName);
        }

        /** A local pod's group chain in a direction; null when it is not local or not isolated there. */
        private String chainOf(ClusterIndex.Member member, PolicyType direction, Map<String, String> chainByKey) {
            TreeMap<ClusterState.ObjectName, LocalPod> ns = local.get(member.pod().namespace());
            LocalPod pod = ns == null ? null : ns.get(member.key());
            PodGrouping.Selection s = pod == null ? null : pod.selections[direction.ordinal()];
            return s == null ? null : chainByKey.get(s.key());
        }

        /** Places the pod in its groups; whether that changed its place. */
        private static boolean select(LocalPod pod, List<ValidPolicy> namespacePolicies) {
            boolean changed = false;
            for (PolicyType direction : PolicyType.values()) {
                PodGrouping.Selection before = pod.selections[direction.ordinal()];
                PodGrouping.Selection after = PodGrouping.select(direction, pod.member, namespacePolicies);
                changed |= before == null ? after != null
                        : after == null || !before.key().equals(after.key()) || !sameInstances(before.policies(), after.policies());
                pod.selections[direction.ordinal()] = after;
            }
            return changed;
        }

        /** As PolicyCompiler groups local pods: by key, members in namespace/name order. */
        private List<PodGroup> groups(PolicyType direction) {
            Map<String, PodGroup> groups = new TreeMap<>();
            for (TreeMap<ClusterState.ObjectName, LocalPod> ns : local.values()) {
                for (LocalPod pod : ns.values()) {
                    PodGrouping.Selection s = pod.selections[direction.ordinal()];
                    if (s != null) {
                        groups.computeIfAbsent(s.key(), k -> new PodGroup(direction, k, s.policies()))
                                .members.add(pod.member);
                    }
                }
            }
            return new ArrayList<>(groups.values());
        }

        private GroupEntry entry(PodGroup group, Set<IpFamily> families) {
            String key = group.key;
            Map<String, GroupEntry> groups = this.groups.get(group.direction.ordinal());
            GroupEntry entry = groups.get(key);
            if (entry != null && sameInstances(entry.policies, group.policies) && entry.families.equals(families)
                    && peersUnchanged(entry)) {
                return entry;
            }
            String chainName = entry != null ? entry.chainName : RulesetAssembler.chainName(group);
            Optional<GroupRules.Plan> plan = GroupRules.plan(group, families);
            GroupEntry before = entry;
            List<PeerCache.Resolution> used = new ArrayList<>();
            Peers recording = peer -> {
                PeerCache.Resolution r = peers.resolution(peer);
                used.add(r);
                return r.members();
            };
            entry = new GroupEntry(group.policies, families, chainName, plan,
                    GroupRules.chain(group, chainName, plan, recording, addresses), used);
            if (before != null && before.chain.equals(entry.chain)) {
                entry = new GroupEntry(entry.policies, families, chainName, plan, before.chain, entry.peers);
            }
            groups.put(key, entry);
            return entry;
        }

        private boolean peersUnchanged(GroupEntry entry) {
            for (int i = 0; i < entry.peers.size(); i++) {
                PeerCache.Resolution r = entry.peers.get(i);
                if (!peers.current(r) || r.addressVersion() != entry.versions[i]) {
                    return false;
                }
            }
            return true;
        }

        /** A shared set: the one built before if its elements did not change since. */
        private NamedSet build(SetSpec spec) {
            if (!(spec instanceof SetSpec.OfPods ofPods)) {
                return spec.build(List.of());
            }
            BuiltSet built = sets.get(spec.name());
            if (built != null && built.spec() == spec && peers.current(built.elements().resolution)
                    && built.version() == built.elements().version()) {
                return built.set();
            }
            PeerCache.Elements elements = peers.resolution(ofPods.peer()).elements(ofPods);
            if (built != null && built.elements() == elements && built.version() == elements.version()
                    && built.spec().equals(spec)) {
                sets.put(spec.name(), new BuiltSet(spec, elements, built.version(), built.set()));
                return built.set();
            }
            NamedSet set = elements.set(ofPods);
            if (built != null && built.set().elements().size() == set.elements().size() && built.set().equals(set)) {
                set = built.set();
            }
            sets.put(spec.name(), new BuiltSet(spec, elements, elements.version(), set));
            return set;
        }
    }

    private static boolean sameInstances(List<?> a, List<?> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) != b.get(i)) {
                return false;
            }
        }
        return true;
    }

    /** Hands back the previous ruleset's objects for equal ones, so that consumers can skip them by identity. */
    private static final class Reuse {
        static Ruleset of(Ruleset previous, Ruleset next) {
            if (previous == null) {
                return next;
            }
            List<NamedSet> sets = reuse(previous.sets(), next.sets(), NamedSet::name, s -> s.elements().size());
            List<VerdictMap> maps = reuse(previous.maps(), next.maps(), VerdictMap::name, m -> m.elements().size());
            List<Chain> chains = reuse(previous.chains(), next.chains(), Chain::name, c -> c.rules().size());
            if (sets == previous.sets() && maps == previous.maps() && chains == previous.chains()
                    && previous.comment().equals(next.comment())) {
                return previous;
            }
            return sets == next.sets() && maps == next.maps() && chains == next.chains() ? next
                    : new Ruleset(next.family(), next.table(), next.comment(), sets, maps, chains);
        }

        /**
         * The next list with each object equal to the previous one of its name replaced by that one: the previous list
         * itself if that makes them the same, the next list itself if nothing was replaced.
         */
        private static <T> List<T> reuse(List<T> previous, List<T> next, Function<T, String> name,
                                         ToIntFunction<T> size) {
            Map<String, T> before = new HashMap<>(previous.size() * 2);
            previous.forEach(o -> before.put(name.apply(o), o));
            List<T> out = new ArrayList<>(next.size());
            boolean replaced = false;
            boolean allPrevious = previous.size() == next.size();
            for (int i = 0; i < next.size(); i++) {
                T o = next.get(i);
                T old = before.get(name.apply(o));
                if (old != null && old != o && size.applyAsInt(old) == size.applyAsInt(o) && old.equals(o)) {
                    o = old;
                    replaced = true;
                }
                allPrevious = allPrevious && o == previous.get(i);
                out.add(o);
            }
            return allPrevious ? previous : replaced ? List.copyOf(out) : next;
        }
    }
}

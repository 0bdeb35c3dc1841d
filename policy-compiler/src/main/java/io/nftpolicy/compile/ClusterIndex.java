package io.nftpolicy.compile;

import com.google.common.collect.ImmutableListMultimap;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.ruleset.MapElement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The snapshot arranged for lookups: namespaces with their labels and the pods that take part in policy (running
 * or pending, not hostNetwork, with parsed addresses), grouped by namespace, in a stable order.
 */
final class ClusterIndex {

    /**
     * A pod that takes part in policy, with its addresses parsed.
     *
     * @param addresses  the addresses it owns: its addresses as a peer
     * @param claimed    every valid address it claims, each once, owned or not
     * @param dispatched the addresses it owns alone, which send its traffic to its group chain; an address that
     *                   other live pods claim too is dispatched as {@link #dispatchTarget} decides
     */
    record Member(Pod pod, List<IpAddress> addresses, List<IpAddress> claimed, List<IpAddress> dispatched) {
        String ref() {
            return pod.ref();
        }

        ClusterState.ObjectName key() {
            return ClusterState.ObjectName.of(pod);
        }

        Map<String, String> labels() {
            return pod.labels();
        }

        List<ContainerPort> ports() {
            return pod.ports();
        }

        boolean sameAddresses(Member other) {
            return addresses.equals(other.addresses) && claimed.equals(other.claimed)
                    && dispatched.equals(other.dispatched);
        }
    }

    /**
     * The order in which live pods claiming one address get it: the running one (the address is most likely
     * really its own), then the newest (an older one is about to go), then by namespace/name and uid, so that the
     * outcome never depends on the order events came in. A pod with no creation time counts as the oldest.
     */
    static final Comparator<Pod> CLAIM_ORDER = Comparator
            .comparing((Pod p) -> p.phase() != PodPhase.RUNNING)
            .thenComparing(Pod::creationTimestamp, Comparator.nullsLast(Comparator.<Instant>reverseOrder()))
            .thenComparing(Pod::namespace).thenComparing(Pod::name).thenComparing(Pod::uid);

    /** Namespace, name, then uid: the order pods are listed in. */
    static final Comparator<Pod> NAME_ORDER = Comparator.comparing(Pod::namespace).thenComparing(Pod::name)
            .thenComparing(Pod::uid);

    /**
     * One entry of a pod's status.podIPs: its address, or why it is not one.
     *
     * @param address null when the text does not parse; then {@code error} says why
     */
    record Claim(int index, String text, IpAddress address, String error) {}

    /** The addresses a participating pod claims, in the order it lists them. */
    static List<Claim> claims(Pod pod) {
        List<Claim> claims = new ArrayList<>(pod.ips().size());
        for (int i = 0; i < pod.ips().size(); i++) {
            String text = pod.ips().get(i);
            try {
                claims.add(new Claim(i, text, IpAddress.parse(text), null));
            } catch (IllegalArgumentException e) {
                claims.add(new Claim(i, text, null, e.getMessage()));
            }
        }
        return claims;
    }

    /** The valid addresses among the claims, each once, in the order the pod lists them. */
    static List<IpAddress> distinctAddresses(List<Claim> claims) {
        List<IpAddress> addresses = new ArrayList<>(claims.size());
        for (Claim c : claims) {
            if (c.address() != null && !addresses.contains(c.address())) {
                addresses.add(c.address());
            }
        }
        return List.copyOf(addresses);
    }

    /**
     * The pod as a member. An address claimed by several live pods cannot be attributed: the first claimant in
     * {@link #CLAIM_ORDER} owns it (is the peer with it), and each of the others gets a warning naming it.
     *
     * @param claimantsOf the pods that claim a valid address, in {@link #CLAIM_ORDER}
     */
    static Member member(Pod pod, List<Claim> claims, Function<IpAddress, List<Pod>> claimantsOf,
                         List<Diagnostic> diagnostics) {
        List<IpAddress> owned = new ArrayList<>(claims.size());
        List<IpAddress> alone = new ArrayList<>(claims.size());
        for (Claim c : claims) {
            String field = "status.podIPs[" + c.index() + "]";
            if (c.address() == null) {
                diagnostics.add(new Diagnostic("Pod", pod.ref(), field, c.error(), "address ignored"));
                continue;
            }
            List<Pod> claimants = claimantsOf.apply(c.address());
            Pod owner = claimants.get(0);
            if (owner != pod) {
                diagnostics.add(new Diagnostic("Pod", pod.ref(), field,
                        "address " + c.text() + " is also the address of pod " + name(owner, pod)
                                + ", which keeps it (the running pod, then the newest)",
                        "not this pod's address as a policy peer; traffic with it is filtered by the isolated "
                                + "claimant's policy"));
            } else if (!owned.contains(c.address())) {
                owned.add(c.address());
                if (claimants.size() == 1) {
                    alone.add(c.address());
                }
            }
        }
        return new Member(pod, List.copyOf(owned), distinctAddresses(claims), List.copyOf(alone));
    }

    /** The other pod's name, with its uid when it has the same namespace/name (one re-created). */
    private static String name(Pod other, Pod pod) {
        return other.ref().equals(pod.ref()) ? other.ref() + " (uid " + other.uid() + ")" : other.ref();
    }

    /**
     * Where an address several live pods claim is dispatched in one direction on this node: to the chain of the
     * first claimant (in {@link #CLAIM_ORDER}) that is a local pod isolated in that direction. So an isolated pod is
     * never opened by a conflict: if the owner is isolated here its own chain filters the address, and if it is not,
     * a chain that allows a subset of everything does.
     *
     * @param claimants the claimants in {@link #CLAIM_ORDER}
     * @param chainOf   a claimant's group chain in that direction on this node; null when it has none
     * @return the dispatch element, or null when no claimant is isolated here
     */
    static MapElement dispatchTarget(IpAddress address, List<Member> claimants, Function<Member, String> chainOf) {
        for (Member m : claimants) {
            String chain = chainOf.apply(m);
            if (chain != null) {
                return new MapElement(address, chain, m.ref());
            }
        }
        return null;
    }

    private final Map<String, Namespace> namespaces = new TreeMap<>();
    /** Immutable: its lists are handed out as they are, and peer resolution walks them for every peer. */
    private final ImmutableListMultimap<String, Member> membersByNamespace;
    private final List<Member> members = new ArrayList<>();
    private final Set<IpFamily> families = EnumSet.noneOf(IpFamily.class);
    /** Addresses claimed by more than one live pod, with their claimants' members in {@link #CLAIM_ORDER}. */
    private final Map<IpAddress, List<Member>> contested = new TreeMap<>();

    ClusterIndex(ClusterSnapshot snapshot, List<Diagnostic> diagnostics) {
        for (Namespace ns : snapshot.namespaces()) {
            namespaces.put(ns.name(), ns);
        }
        List<Pod> pods = new ArrayList<>(snapshot.pods());
        pods.sort(NAME_ORDER);
        Map<Pod, List<Claim>> claimsOf = new IdentityHashMap<>();
        Map<IpAddress, List<Pod>> claimants = new HashMap<>();
        for (Pod pod : pods) {
            namespaces.computeIfAbsent(pod.namespace(), n -> new Namespace(n, Map.of()));
            if (pod.participates()) {
                List<Claim> claims = claims(pod);
                claimsOf.put(pod, claims);
                for (IpAddress a : distinctAddresses(claims)) {
                    claimants.computeIfAbsent(a, k -> new ArrayList<>(1)).add(pod);
                }
            }
        }
        claimants.values().forEach(l -> l.sort(CLAIM_ORDER));
        Map<Pod, Member> memberOf = new IdentityHashMap<>();
        ImmutableListMultimap.Builder<String, Member> byNamespace = ImmutableListMultimap.builder();
        for (Pod pod : pods) {
            List<Claim> claims = claimsOf.get(pod);
            if (claims == null) {
                continue;
            }
            Member member = member(pod, claims, claimants::get, diagnostics);
            for (IpAddress a : member.addresses()) {
                families.add(a.family());
            }
            memberOf.put(pod, member);
            members.add(member);
            byNamespace.put(pod.namespace(), member);
        }
        membersByNamespace = byNamespace.build();
        claimants.forEach((address, list) -> {
            if (list.size() > 1) {
                contested.put(address, list.stream().map(memberOf::get).toList());
            }
        });
        for (var policy : snapshot.policies()) {
            namespaces.computeIfAbsent(policy.namespace(), n -> new Namespace(n, Map.of()));
        }
    }

    /** The address families pods of this cluster use; IPv4 alone when no pod has an address yet. */
    Set<IpFamily> families() {
        return families.isEmpty() ? EnumSet.of(IpFamily.IPV4) : EnumSet.copyOf(families);
    }

    Map<String, Namespace> namespaces() {
        return namespaces;
    }

    List<Member> members() {
        return members;
    }

    List<Member> membersOf(String namespace) {
        return membersByNamespace.get(namespace);
    }

    /** Addresses claimed by more than one live pod, each with its claimants in {@link #CLAIM_ORDER}. */
    Map<IpAddress, List<Member>> contested() {
        return contested;
    }

    /** This node's pods that can be given rules: they are scheduled here and claim an address. */
    List<Member> localMembers(String node) {
        List<Member> local = new ArrayList<>();
        for (Member m : members) {
            if (isLocal(m, node)) {
                local.add(m);
            }
        }
        return local;
    }

    /** Whether the member is one of this node's pods that can be given rules (see {@link #localMembers}). */
    static boolean isLocal(Member m, String node) {
        return m.pod().nodeName().equals(node) && !m.claimed().isEmpty();
    }
}

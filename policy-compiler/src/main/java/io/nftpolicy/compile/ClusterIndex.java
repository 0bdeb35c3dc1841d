package io.nftpolicy.compile;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
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

    /** A pod that takes part in policy, with its addresses parsed. */
    record Member(Pod pod, List<IpAddress> addresses) {
        String ref() {
            return pod.ref();
        }

        Map<String, String> labels() {
            return pod.labels();
        }

        List<ContainerPort> ports() {
            return pod.ports();
        }
    }

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

    /**
     * The pod as a member: the addresses it claims and owns, each once. An address claimed by two live pods
     * cannot be attributed; its owner is the first claimant by namespace and name.
     *
     * @param ownerOf the ref of the pod that owns a claimed address
     */
    static Member member(Pod pod, List<Claim> claims, Function<IpAddress, String> ownerOf,
                         List<Diagnostic> diagnostics) {
        List<IpAddress> addresses = new ArrayList<>(claims.size());
        for (Claim c : claims) {
            String field = "status.podIPs[" + c.index() + "]";
            if (c.address() == null) {
                diagnostics.add(new Diagnostic("Pod", pod.ref(), field, c.error(), "address ignored"));
                continue;
            }
            String owner = ownerOf.apply(c.address());
            if (!owner.equals(pod.ref())) {
                diagnostics.add(new Diagnostic("Pod", pod.ref(), field,
                        "address " + c.text() + " is also the address of pod " + owner, "address ignored for this pod"));
            } else if (!addresses.contains(c.address())) {
                addresses.add(c.address());
            }
        }
        return new Member(pod, List.copyOf(addresses));
    }

    private final Map<String, Namespace> namespaces = new TreeMap<>();
    private final Map<String, List<Member>> membersByNamespace = new TreeMap<>();
    private final List<Member> members = new ArrayList<>();
    private final Set<IpFamily> families = EnumSet.noneOf(IpFamily.class);

    ClusterIndex(ClusterSnapshot snapshot, List<Diagnostic> diagnostics) {
        for (Namespace ns : snapshot.namespaces()) {
            namespaces.put(ns.name(), ns);
        }
        List<Pod> pods = new ArrayList<>(snapshot.pods());
        pods.sort(Comparator.comparing(Pod::namespace).thenComparing(Pod::name));
        // An address claimed by two live pods cannot be attributed; the first pod (by name) keeps it.
        Map<IpAddress, String> owners = new HashMap<>();
        for (Pod pod : pods) {
            namespaces.computeIfAbsent(pod.namespace(), n -> new Namespace(n, Map.of()));
            if (!pod.participates()) {
                continue;
            }
            List<Claim> claims = claims(pod);
            for (Claim c : claims) {
                if (c.address() != null) {
                    owners.putIfAbsent(c.address(), pod.ref());
                }
            }
            Member member = member(pod, claims, owners::get, diagnostics);
            for (IpAddress a : member.addresses()) {
                families.add(a.family());
            }
            members.add(member);
            membersByNamespace.computeIfAbsent(pod.namespace(), n -> new ArrayList<>()).add(member);
        }
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
        return membersByNamespace.getOrDefault(namespace, List.of());
    }

    /** This node's pods that can be given rules: they are scheduled here and have an address. */
    List<Member> localMembers(String node) {
        List<Member> local = new ArrayList<>();
        for (Member m : members) {
            if (m.pod().nodeName().equals(node) && !m.addresses().isEmpty()) {
                local.add(m);
            }
        }
        return local;
    }
}

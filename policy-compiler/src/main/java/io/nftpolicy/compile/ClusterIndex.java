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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

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

    private final Map<String, Namespace> namespaces = new TreeMap<>();
    private final Map<String, List<Member>> membersByNamespace = new TreeMap<>();
    private final List<Member> members = new ArrayList<>();

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
            List<IpAddress> addresses = new ArrayList<>();
            Set<IpAddress> seen = new HashSet<>();
            for (int i = 0; i < pod.ips().size(); i++) {
                String text = pod.ips().get(i);
                try {
                    IpAddress address = IpAddress.parse(text);
                    String owner = owners.putIfAbsent(address, pod.ref());
                    if (owner != null && !owner.equals(pod.ref())) {
                        diagnostics.add(new Diagnostic("Pod", pod.ref(), "status.podIPs[" + i + "]",
                                "address " + text + " is also the address of pod " + owner, "address ignored for this pod"));
                    } else if (seen.add(address)) {
                        addresses.add(address);
                    }
                } catch (IllegalArgumentException e) {
                    diagnostics.add(new Diagnostic("Pod", pod.ref(), "status.podIPs[" + i + "]", e.getMessage(),
                            "address ignored"));
                }
            }
            Member member = new Member(pod, List.copyOf(addresses));
            members.add(member);
            membersByNamespace.computeIfAbsent(pod.namespace(), n -> new ArrayList<>()).add(member);
        }
        for (var policy : snapshot.policies()) {
            namespaces.computeIfAbsent(policy.namespace(), n -> new Namespace(n, Map.of()));
        }
    }

    /** The address families pods of this cluster use; IPv4 alone when no pod has an address yet. */
    Set<IpFamily> families() {
        Set<IpFamily> families = EnumSet.noneOf(IpFamily.class);
        for (Member m : members) {
            m.addresses().forEach(a -> families.add(a.family()));
        }
        return families.isEmpty() ? EnumSet.of(IpFamily.IPV4) : families;
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

package io.nftpolicy.compile;

import io.nftpolicy.policy.NetworkPolicy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The validated policies of a cluster, by namespace, kept from one snapshot to the next: a policy is validated again
 * only when it changed. Unchanged policies keep their {@link ValidPolicy} instance, which is what group chains
 * are cached by.
 */
final class PolicyState {
    /** A policy that could not be compiled, as the object it was then. */
    record Failed(NetworkPolicy policy, PolicyFailures.Failure failure) {}

    private static final class PolicyEntry extends ObjectTracker.Entry<NetworkPolicy> {
        final ValidPolicy valid;
        final List<Diagnostic> diagnostics;

        PolicyEntry(NetworkPolicy policy, Map<String, Failed> failed) {
            super(policy, new ClusterState.ObjectName(policy.namespace(), policy.name()));
            List<Diagnostic> problems = new ArrayList<>(0);
            ValidPolicy validated = PolicyValidator.validate(policy, problems);
            Failed failure = failed.get(policy.ref());
            if (failure != null && validated.valid() && failure.policy().equals(policy)) {
                problems.add(failure.failure().diagnostic(validated));
                validated = PolicyFailures.failClosed(validated);
            }
            this.valid = validated;
            this.diagnostics = List.copyOf(problems);
        }
    }

    private final ObjectTracker<NetworkPolicy, PolicyEntry> policies;
    private final Map<String, TreeMap<String, ValidPolicy>> byNamespace = new HashMap<>();
    private final Map<String, List<ValidPolicy>> lists = new HashMap<>();
    private final TreeMap<ClusterState.ObjectName, List<Diagnostic>> diagnostics = new TreeMap<>();

    /** @param failed policies known not to compile, by namespace/name: compiled as invalid while unchanged */
    PolicyState(Map<String, Failed> failed) {
        policies = new ObjectTracker<>(p -> new ClusterState.ObjectName(p.namespace(), p.name()),
                p -> new PolicyEntry(p, failed));
    }

    /** The snapshot's policies that failed, each with its object. */
    static Map<String, Failed> failed(List<NetworkPolicy> snapshot, Map<String, PolicyFailures.Failure> failures) {
        Map<String, Failed> failed = new HashMap<>();
        for (NetworkPolicy policy : snapshot) {
            PolicyFailures.Failure failure = failures.get(policy.ref());
            if (failure != null) {
                failed.put(policy.ref(), new Failed(policy, failure));
            }
        }
        return Map.copyOf(failed);
    }

    /**
     * Takes in the next snapshot's policies.
     *
     * @return the namespaces whose policies changed, or null when two policies share a namespace and name (then
     *     this state is unusable)
     */
    Set<String> update(List<NetworkPolicy> snapshot) {
        List<ObjectTracker.Change<PolicyEntry>> changes = policies.update(snapshot);
        if (changes == null) {
            return null;
        }
        Set<String> namespaces = new HashSet<>();
        for (ObjectTracker.Change<PolicyEntry> c : changes) {
            if (c.before() != null) {
                remove(c.before());
                namespaces.add(c.before().name.namespace());
            }
        }
        for (ObjectTracker.Change<PolicyEntry> c : changes) {
            if (c.after() != null) {
                ClusterState.ObjectName name = c.after().name;
                byNamespace.computeIfAbsent(name.namespace(), n -> new TreeMap<>()).put(name.name(), c.after().valid);
                if (!c.after().diagnostics.isEmpty()) {
                    diagnostics.put(name, c.after().diagnostics);
                }
                namespaces.add(name.namespace());
            }
        }
        for (String ns : namespaces) {
            TreeMap<String, ValidPolicy> valid = byNamespace.get(ns);
            if (valid == null) {
                lists.remove(ns);
            } else {
                lists.put(ns, List.copyOf(valid.values()));
            }
        }
        return namespaces;
    }

    private void remove(PolicyEntry entry) {
        TreeMap<String, ValidPolicy> valid = byNamespace.get(entry.name.namespace());
        valid.remove(entry.name.name());
        if (valid.isEmpty()) {
            byNamespace.remove(entry.name.namespace());
        }
        diagnostics.remove(entry.name);
    }

    /** The namespace's validated policies in name order. */
    List<ValidPolicy> of(String namespace) {
        return lists.getOrDefault(namespace, List.of());
    }

    /** What is wrong with the policies, in namespace/name order. */
    Collection<List<Diagnostic>> diagnostics() {
        return diagnostics.values();
    }
}

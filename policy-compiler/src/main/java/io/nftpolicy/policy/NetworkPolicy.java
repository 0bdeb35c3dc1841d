package io.nftpolicy.policy;

import java.util.List;
import java.util.Objects;

/**
 * A networking.k8s.io/v1 NetworkPolicy as written, before validation.
 *
 * @param policyTypes as written (Ingress, Egress); empty when absent, in which case the API server's defaulting
 *                    applies: Ingress always, Egress when there are egress rules
 * @param ingress     empty when absent or []: both allow nothing
 * @param staged      annotated {@value #STAGED_ANNOTATION}: "true": compiled into rules that count what the policy
 *                    would allow and deny, changing no verdict (docs/ruleset.md, "Staged policies")
 */
public record NetworkPolicy(
        String namespace,
        String name,
        LabelSelector podSelector,
        List<String> policyTypes,
        List<PolicyRule> ingress,
        List<PolicyRule> egress,
        boolean staged) {

    /** The annotation that stages a policy, with the value {@code "true"}. */
    public static final String STAGED_ANNOTATION = "nftpolicy.io/staged";

    public NetworkPolicy {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        podSelector = podSelector == null ? LabelSelector.all() : podSelector;
        policyTypes = List.copyOf(policyTypes == null ? List.of() : policyTypes);
        ingress = List.copyOf(ingress == null ? List.of() : ingress);
        egress = List.copyOf(egress == null ? List.of() : egress);
    }

    /** An enforced policy. */
    public NetworkPolicy(String namespace, String name, LabelSelector podSelector, List<String> policyTypes,
                         List<PolicyRule> ingress, List<PolicyRule> egress) {
        this(namespace, name, podSelector, policyTypes, ingress, egress, false);
    }

    /** Whether annotations, as the object carries them (null for none), stage the policy. */
    public static boolean stagedBy(java.util.Map<String, String> annotations) {
        return annotations != null && "true".equals(annotations.get(STAGED_ANNOTATION));
    }

    /** The same policy, staged or enforced. */
    public NetworkPolicy withStaged(boolean newStaged) {
        return new NetworkPolicy(namespace, name, podSelector, policyTypes, ingress, egress, newStaged);
    }

    /** namespace/name. */
    public String ref() {
        return namespace + "/" + name;
    }

    public List<PolicyRule> rules(PolicyType direction) {
        return direction == PolicyType.INGRESS ? ingress : egress;
    }
}

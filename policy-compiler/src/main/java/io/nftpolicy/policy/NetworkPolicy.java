package io.nftpolicy.policy;

import java.util.List;
import java.util.Objects;

/**
 * A networking.k8s.io/v1 NetworkPolicy as written, before validation.
 *
 * @param policyTypes as written (Ingress, Egress); empty when absent, in which case the API server's defaulting
 *                    applies: Ingress always, Egress when there are egress rules
 * @param ingress     empty when absent or []: both allow nothing
 */
public record NetworkPolicy(
        String namespace,
        String name,
        LabelSelector podSelector,
        List<String> policyTypes,
        List<PolicyRule> ingress,
        List<PolicyRule> egress) {

    public NetworkPolicy {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        podSelector = podSelector == null ? LabelSelector.all() : podSelector;
        policyTypes = List.copyOf(policyTypes == null ? List.of() : policyTypes);
        ingress = List.copyOf(ingress == null ? List.of() : ingress);
        egress = List.copyOf(egress == null ? List.of() : egress);
    }

    /** namespace/name. */
    public String ref() {
        return namespace + "/" + name;
    }

    public List<PolicyRule> rules(PolicyType direction) {
        return direction == PolicyType.INGRESS ? ingress : egress;
    }
}

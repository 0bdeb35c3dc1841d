package io.nftpolicy.enforcement;

import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The two shapes a group chain can take (see RulesetAssembler and GroupRules): a rule per peer over shared peer
 * sets, or, when the policies selecting a group name more peers than a chain may hold rules for, merged interval
 * sets for the peers beyond the first. Semantics must not depend on the shape, so the peer and port specifications
 * run in both.
 *
 * <p>{@link #MERGED_SETS} puts every peer of the policies (all but egress named ports, which always keep rules of
 * their own) into merged sets without changing what is allowed: every direction a policy isolates gets a first rule
 * whose peers are {@value #FILLER_PEERS} selectors of pods that no pod matches, which take the chain's rules, then
 * as many ipBlocks of documentation addresses (192.0.2.0/24, 2001:db8::/32) that no pod or node of a lab uses.
 */
enum Layout {
    RULE_PER_PEER,
    MERGED_SETS;

    static final int FILLER_PEERS = 20;
    /** The label of the pods the filler selects: no pod has it. */
    static final String FILLER_LABEL = "nftpolicy-lab-filler";

    private static final PolicyRule FILLER;

    static {
        List<PolicyPeer> peers = new ArrayList<>();
        for (int i = 1; i <= FILLER_PEERS; i++) {
            peers.add(PolicyPeer.pods(LabelSelector.matchLabels(Map.of(FILLER_LABEL, Integer.toString(i)))));
        }
        for (int i = 1; i <= FILLER_PEERS / 2; i++) {
            peers.add(PolicyPeer.ipBlock("192.0.2." + i + "/32"));
            peers.add(PolicyPeer.ipBlock("2001:db8::" + Integer.toHexString(i) + "/128"));
        }
        FILLER = new PolicyRule(peers, List.of());
    }

    List<NetworkPolicy> apply(List<NetworkPolicy> policies) {
        if (this == RULE_PER_PEER) {
            return policies;
        }
        List<NetworkPolicy> out = new ArrayList<>();
        for (NetworkPolicy p : policies) {
            boolean ingress = p.policyTypes().isEmpty() || p.policyTypes().contains("Ingress");
            // policyTypes absent: egress is isolated only when there are egress rules, and stays so with one more
            boolean egress = p.policyTypes().contains("Egress") || (p.policyTypes().isEmpty() && !p.egress().isEmpty());
            out.add(new NetworkPolicy(p.namespace(), p.name(), p.podSelector(), p.policyTypes(),
                    ingress ? plusFiller(p.ingress()) : p.ingress(), egress ? plusFiller(p.egress()) : p.egress()));
        }
        return out;
    }

    private static List<PolicyRule> plusFiller(List<PolicyRule> rules) {
        // First: the chain keeps rules for its first peers of pods and merges the rest.
        List<PolicyRule> out = new ArrayList<>();
        out.add(FILLER);
        out.addAll(rules);
        return out;
    }
}

package io.nftpolicy.tier;

import static io.nftpolicy.tier.Tiers.admin;
import static io.nftpolicy.tier.Tiers.everyNamespace;
import static io.nftpolicy.tier.Tiers.namespace;
import static io.nftpolicy.tier.Tiers.rule;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.FailClosed;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.net.Cidr;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Established flows and fail-closed mode treat tier chains as they treat NetworkPolicy chains. */
class TierModesTest {
    private static final Tiers CLUSTER = new Tiers()
            .add(admin("accept-all-into-x", 10, namespace("x"), List.of(rule("Accept", List.of(everyNamespace()))),
                    List.of()))
            .add(admin("deny-y-into-x", 20, namespace("x"), List.of(rule("Deny", List.of(Tiers.namespacePeer("y")))),
                    List.of()));

    @Test
    void aDenyMarksTheFlowDeniedAndResetsARecheckedTcpFlowAsAGroupChainsEndDoes() {
        Ruleset ruleset = new EstablishedFlows().apply(CLUSTER.compile("n1").ruleset());

        Chain deny = ruleset.chains().stream().filter(c -> c.name().equals(TierCompiler.DENY_CHAIN)).findFirst()
                .orElseThrow();
        assertThat(deny.rules()).extracting(Rule::statement).containsExactly(EstablishedFlows.RESET, EstablishedFlows.DROP);
    }

    @Test
    void failClosedDropsUnknownAddressesOfThePodCidrBeforeAnyTierChainIsReached() {
        ClusterSnapshot snapshot = CLUSTER.snapshot();
        Ruleset ruleset = new FailClosed("n1", List.of(Cidr.parse("10.244.1.0/24")))
                .apply(new PolicyCompiler().compile(snapshot, "n1"), snapshot).ruleset();

        List<String> forward = ruleset.chains().stream().filter(c -> c.name().equals("filter-forward")).findFirst()
                .orElseThrow().rules().stream().map(Rule::statement).toList();
        int unknownSource = forward.indexOf("ip saddr @pod-cidrs-v4 ip saddr != @local-pods-v4 drop");
        int dispatch = forward.indexOf("ip daddr vmap @ingress-v4");
        assertThat(unknownSource).isNotNegative().isLessThan(dispatch);
        assertThat(ruleset.maps()).filteredOn(m -> m.name().equals("ingress-v4")).flatExtracting(m -> m.elements())
                .anySatisfy(e -> assertThat(e.chain()).startsWith("cnp-ing-"));
    }
}

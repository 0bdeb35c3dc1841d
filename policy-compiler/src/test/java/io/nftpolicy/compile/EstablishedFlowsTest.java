package io.nftpolicy.compile;

import static io.nftpolicy.testing.Clusters.cluster;
import static io.nftpolicy.testing.Policies.all;
import static io.nftpolicy.testing.Policies.denyAll;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import java.util.List;
import org.junit.jupiter.api.Test;

class EstablishedFlowsTest {
    private static Ruleset compiled() {
        return new PolicyCompiler().compile(cluster().pod("dev/db", "n1", "10.244.1.10", "role=db")
                .policy(denyAll("dev/deny-all", all()))
                .snapshot(), "n1").ruleset();
    }

    private static List<String> statements(Ruleset ruleset, String chain) {
        return ruleset.chains().stream().filter(c -> c.name().equals(chain)).findFirst().orElseThrow().rules()
                .stream().map(Rule::statement).toList();
    }

    @Test
    void flowsOfTheCurrentGenerationAreAcceptedFirstAndOthersAreStampedJustBeforeThePolicyChains() {
        Ruleset ruleset = new EstablishedFlows().apply(compiled());

        List<String> forward = statements(ruleset, ObjectNames.FORWARD_CHAIN);
        assertThat(forward.get(0)).isEqualTo(
                "ct state established,related ct mark & 0xfffff000 == @flow-generation accept");
        assertThat(forward.get(2)).isEqualTo("ct direction reply ct mark & 0xfffff000 == 0xfffff000 drop");
        assertThat(forward.get(3)).isEqualTo("ct state established ct direction reply accept");
        int stamp = forward.indexOf("jump flow-stamp");
        assertThat(forward.get(stamp + 1)).contains(" vmap @");
        assertThat(forward).doesNotContain(RulesetAssembler.ESTABLISHED);
        assertThat(statements(ruleset, ObjectNames.INPUT_CHAIN)).contains("jump flow-stamp");
    }

    @Test
    void aCompiledRulesetStampsGenerationOne() {
        Ruleset ruleset = new EstablishedFlows().apply(compiled());

        assertThat(EstablishedFlows.generation(ruleset)).hasValue(1);
        assertThat(statements(ruleset, EstablishedFlows.STAMP_CHAIN))
                .containsExactly("ct mark set ct mark & 0x00001fff | 0x00001000");
    }

    @Test
    void anotherGenerationChangesOnlyTheGenerationSetAndTheStampChain() {
        Ruleset first = new EstablishedFlows().apply(compiled());

        Ruleset later = EstablishedFlows.withGeneration(first, 0x2a);

        assertThat(EstablishedFlows.generation(later)).hasValue(0x2a);
        assertThat(statements(later, EstablishedFlows.STAMP_CHAIN))
                .containsExactly("ct mark set ct mark & 0x0002afff | 0x0002a000");
        for (int i = 0; i < first.chains().size(); i++) {
            Chain chain = first.chains().get(i);
            if (!chain.name().equals(EstablishedFlows.STAMP_CHAIN)) {
                assertThat(later.chains().get(i)).isSameAs(chain);
            }
        }
        assertThat(later.maps()).isSameAs(first.maps());
    }

    @Test
    void generationsWrapToOneAndNeverReachTheDeniedMark() {
        assertThat(EstablishedFlows.next(1)).isEqualTo(2);
        assertThat(EstablishedFlows.next(EstablishedFlows.MAX_GENERATION)).isEqualTo(1);
        assertThat(EstablishedFlows.markOf(EstablishedFlows.MAX_GENERATION)).isLessThan(EstablishedFlows.DENIED);
        assertThatThrownBy(() -> EstablishedFlows.next(0)).hasMessageContaining("outside 1..");
    }

    @Test
    void keptFlowsHaveNoGeneration() {
        assertThat(EstablishedFlows.generation(compiled())).isEmpty();
        assertThatThrownBy(() -> EstablishedFlows.withGeneration(compiled(), 2))
                .hasMessageContaining("keeps established flows");
    }

    @Test
    void everyIsolatedChainEndsByResettingAReCheckedTcpFlowThenDroppingAndMarkingTheFlowDenied() {
        Ruleset ruleset = compiled();

        assertThat(ruleset.chains()).filteredOn(c -> c.hook().isEmpty()).isNotEmpty().allSatisfy(chain -> {
            List<Rule> rules = chain.rules();
            assertThat(rules.get(rules.size() - 2).statement()).isEqualTo(EstablishedFlows.RESET);
            assertThat(rules.get(rules.size() - 1).statement()).isEqualTo(EstablishedFlows.DROP);
        });
    }

    @Test
    void unchangedBaseChainsComeBackAsTheSameInstances() {
        EstablishedFlows established = new EstablishedFlows();
        Ruleset compiled = compiled();

        Ruleset first = established.apply(compiled);
        Ruleset second = established.apply(compiled);

        assertThat(second.chains().get(0)).isSameAs(first.chains().get(0));
    }
}

package io.nftpolicy.backend.sync;

import static io.nftpolicy.backend.sync.TestClusters.compile;
import static io.nftpolicy.backend.sync.TestClusters.demo;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.sync.SteppedVerifier.Step;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The drift check in steps, on the in-memory kernel: each step compares one object, as verify would. */
class SteppedVerifierTest {
    private final FakeNft kernel = new FakeNft();
    private final SteppedVerifier stepped = new SteppedVerifier(kernel);
    private Ruleset ruleset;

    @BeforeEach
    void applied() throws ApplyException {
        ruleset = compile(demo());
        new RulesetApplier(kernel).apply(ruleset);
    }

    @Test
    void aCycleIsTheDeclarationsThenEverySetAndMap() {
        List<Step> steps = SteppedVerifier.cycle(ruleset);

        List<Step> expected = new ArrayList<>(List.of(Step.DECLARATIONS));
        ruleset.sets().forEach(s -> expected.add(Step.set(s.name())));
        ruleset.maps().forEach(m -> expected.add(Step.map(m.name())));
        assertThat(steps).containsExactlyElementsOf(expected);
    }

    @Test
    void aMissingElementIsFoundByItsSetsStepAlone() throws ApplyException {
        kernel.run(new Transaction().delete(Keys.key("peer-9a3bd8b3-v4", "10.244.1.11")));

        assertThat(stepped.check(Step.DECLARATIONS, ruleset).isEmpty()).isTrue();
        assertThat(stepped.check(Step.set("peer-9a3bd8b3-v4"), ruleset).differences())
                .containsExactly("set peer-9a3bd8b3-v4: element 10.244.1.11 comment \"dev/frontend\" missing");
        assertThat(stepped.check(Step.map("ingress-v4"), ruleset).isEmpty()).isTrue();
    }

    @Test
    void anExtraMapElementIsFoundByTheMapsStep() throws ApplyException {
        kernel.run(new Transaction().add(Keys.jump("ingress-v4", "10.244.1.77", "stranger",
                "ing-e2d199a7-dev_test-network-policy")));

        assertThat(stepped.check(Step.map("ingress-v4"), ruleset).differences()).containsExactly("map ingress-v4: "
                + "extra element 10.244.1.77 comment \"stranger\" : jump ing-e2d199a7-dev_test-network-policy");
    }

    @Test
    void rulesAndObjectsOfOthersAreFoundByTheDeclarations() throws ApplyException {
        kernel.run(new Transaction().addRule("ing-e2d199a7-dev_test-network-policy", Rule.of("accept", "by hand"))
                .add(new NftObject.Set("leftover", List.of(KeyType.IPV4_ADDR), false, "")));

        assertThat(stepped.check(Step.DECLARATIONS, ruleset).differences()).containsExactly(
                "set leftover: not in the model",
                "chain ing-e2d199a7-dev_test-network-policy: 6 rules in the kernel, 5 expected",
                "chain ing-e2d199a7-dev_test-network-policy: extra rule 6: {accept comment \"by hand\"}");
    }

    @Test
    void theStepsTogetherFindWhatVerifyFinds() throws ApplyException {
        kernel.run(Keys.handEdits());

        List<String> found = new ArrayList<>();
        for (Step step : SteppedVerifier.cycle(ruleset)) {
            found.addAll(stepped.check(step, ruleset).differences());
        }

        assertThat(found).containsExactlyInAnyOrderElementsOf(new RulesetApplier(kernel).verify(ruleset).differences());
    }

    @Test
    void aSetTheRulesetNoLongerHasIsNotRead() throws ApplyException {
        String gone = ruleset.sets().get(0).name();
        Ruleset without = new Ruleset(ruleset.family(), ruleset.table(), ruleset.comment(),
                ruleset.sets().stream().filter(s -> !s.name().equals(gone)).toList(), ruleset.maps(),
                ruleset.chains());
        int reads = kernel.readBacks();

        assertThat(stepped.check(Step.set(gone), without).isEmpty()).isTrue();
        assertThat(kernel.readBacks()).isEqualTo(reads);
    }

    @Test
    void perObjectComparisonsNameTheObject() {
        NamedSet set = ruleset.sets().get(0);
        NamedSet redeclared = new NamedSet(set.name(), set.keyType(), !set.interval(), set.comment(), set.elements());

        assertThat(Drift.ofSet(Optional.empty(), set).differences()).containsExactly("set " + set.name() + ": missing");
        assertThat(Drift.ofSet(Optional.of(redeclared), set).differences())
                .singleElement().asString().startsWith("set " + set.name() + ": declared as ");
        assertThat(Drift.ofSet(Optional.of(set), set).isEmpty()).isTrue();
        assertThat(Drift.ofMap(Optional.empty(), ruleset.maps().get(0)).differences())
                .containsExactly("map " + ruleset.maps().get(0).name() + ": missing");
    }
}

package io.nftpolicy.selector;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.LabelSelector.Requirement;
import io.nftpolicy.selector.Selector.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SelectorTest {

    private static Selector compileValid(LabelSelector raw) {
        List<Problem> problems = new ArrayList<>();
        Selector selector = Selector.compile(raw, problems);
        assertThat(problems).as("problems of %s", raw).isEmpty();
        return selector;
    }

    private static List<Problem> problemsOf(LabelSelector raw) {
        List<Problem> problems = new ArrayList<>();
        Selector.compile(raw, problems);
        return problems;
    }

    private static LabelSelector expressions(Requirement... requirements) {
        return new LabelSelector(Map.of(), List.of(requirements));
    }

    private static Requirement req(String key, String operator, String... values) {
        return new Requirement(key, operator, List.of(values));
    }

    @Test
    void emptySelectorMatchesEveryObject() {
        Selector all = compileValid(LabelSelector.all());

        assertThat(all.matches(Map.of())).isTrue();
        assertThat(all.matches(Map.of("app", "db", "tier", "back"))).isTrue();
        assertThat(all.selectsAll()).isTrue();
    }

    @Test
    void matchLabelsNeedsEveryLabelWithItsValue() {
        Selector s = compileValid(LabelSelector.matchLabels(Map.of("app", "db", "tier", "back")));

        assertThat(s.matches(Map.of("app", "db", "tier", "back"))).isTrue();
        assertThat(s.matches(Map.of("app", "db", "tier", "back", "extra", "x"))).isTrue();
        assertThat(s.matches(Map.of("app", "db"))).isFalse();
        assertThat(s.matches(Map.of("app", "db", "tier", "front"))).isFalse();
        assertThat(s.matches(Map.of())).isFalse();
    }

    @Test
    void matchLabelsWithAnEmptyValueNeedsTheLabelWithAnEmptyValue() {
        Selector s = compileValid(LabelSelector.matchLabels(Map.of("canary", "")));

        assertThat(s.matches(Map.of("canary", ""))).isTrue();
        assertThat(s.matches(Map.of())).isFalse();
        assertThat(s.matches(Map.of("canary", "yes"))).isFalse();
    }

    @Test
    void matchLabelsAndMatchExpressionsMustBothHold() {
        Selector s = compileValid(new LabelSelector(Map.of("app", "db"), List.of(req("env", "In", "prod"))));

        assertThat(s.matches(Map.of("app", "db", "env", "prod"))).isTrue();
        assertThat(s.matches(Map.of("app", "db", "env", "dev"))).isFalse();
        assertThat(s.matches(Map.of("app", "web", "env", "prod"))).isFalse();
    }

    @Test
    void everyMatchExpressionMustHold() {
        Selector s = compileValid(expressions(req("env", "In", "prod"), req("team", "Exists")));

        assertThat(s.matches(Map.of("env", "prod", "team", "a"))).isTrue();
        assertThat(s.matches(Map.of("env", "prod"))).isFalse();
        assertThat(s.matches(Map.of("team", "a"))).isFalse();
    }

    @Test
    void inMatchesObjectsWhoseValueIsListed() {
        Selector s = compileValid(expressions(req("env", "In", "prod", "staging")));

        assertThat(s.matches(Map.of("env", "prod"))).isTrue();
        assertThat(s.matches(Map.of("env", "staging"))).isTrue();
        assertThat(s.matches(Map.of("env", "dev"))).isFalse();
    }

    @Test
    void inDoesNotMatchObjectsWithoutTheKey() {
        Selector s = compileValid(expressions(req("env", "In", "prod")));

        assertThat(s.matches(Map.of("app", "prod"))).isFalse();
    }

    @Test
    void notInRejectsObjectsWhoseValueIsListed() {
        Selector s = compileValid(expressions(req("env", "NotIn", "prod", "staging")));

        assertThat(s.matches(Map.of("env", "prod"))).isFalse();
        assertThat(s.matches(Map.of("env", "staging"))).isFalse();
        assertThat(s.matches(Map.of("env", "dev"))).isTrue();
    }

    @Test
    void notInMatchesObjectsWithoutTheKey() {
        Selector s = compileValid(expressions(req("env", "NotIn", "prod")));

        assertThat(s.matches(Map.of())).isTrue();
        assertThat(s.matches(Map.of("app", "web"))).isTrue();
    }

    @Test
    void existsMatchesObjectsWithTheKeyWhateverItsValue() {
        Selector s = compileValid(expressions(req("team", "Exists")));

        assertThat(s.matches(Map.of("team", "a"))).isTrue();
        assertThat(s.matches(Map.of("team", ""))).isTrue();
        assertThat(s.matches(Map.of("app", "team"))).isFalse();
    }

    @Test
    void doesNotExistMatchesOnlyObjectsWithoutTheKey() {
        Selector s = compileValid(expressions(req("team", "DoesNotExist")));

        assertThat(s.matches(Map.of("app", "web"))).isTrue();
        assertThat(s.matches(Map.of())).isTrue();
        assertThat(s.matches(Map.of("team", "a"))).isFalse();
        assertThat(s.matches(Map.of("team", ""))).isFalse();
    }

    @Test
    void aSelectorWithRequirementsDoesNotSelectAll() {
        assertThat(compileValid(expressions(req("team", "DoesNotExist"))).selectsAll()).isFalse();
        assertThat(compileValid(LabelSelector.matchLabels(Map.of("a", "b"))).selectsAll()).isFalse();
    }

    @Test
    void selectorsWithTheSameMeaningAreEqual() {
        Selector a = compileValid(new LabelSelector(Map.of("app", "db"), List.of(req("env", "In", "b", "a"))));
        Selector b = compileValid(new LabelSelector(Map.of("app", "db"), List.of(req("env", "In", "a", "b"))));

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    }

    @Test
    void printsInKubectlSyntax() {
        Selector s = compileValid(new LabelSelector(Map.of("tier", "back", "app", "db"), List.of(
                req("env", "In", "prod", "dev"), req("zone", "NotIn", "x"), req("team", "Exists"),
                req("legacy", "DoesNotExist"))));

        assertThat(s).hasToString("app=db,tier=back,env in (dev,prod),zone notin (x),team,!legacy");
        assertThat(compileValid(LabelSelector.all())).hasToString("{}");
    }

    @Test
    void anUnknownOperatorIsReportedAtItsField() {
        assertThat(problemsOf(expressions(req("env", "In", "prod"), req("env", "Equals", "prod"))))
                .singleElement()
                .satisfies(p -> {
                    assertThat(p.field()).isEqualTo("matchExpressions[1].operator");
                    assertThat(p.reason()).contains("Equals");
                });
    }

    @Test
    void operatorsAreCaseSensitive() {
        assertThat(problemsOf(expressions(req("env", "in", "prod"))))
                .extracting(Problem::field).containsExactly("matchExpressions[0].operator");
    }

    @Test
    void aMissingOperatorIsReported() {
        assertThat(problemsOf(expressions(req("env", null, "prod"))))
                .extracting(Problem::field).containsExactly("matchExpressions[0].operator");
    }

    @Test
    void inWithoutValuesIsReportedAtItsValues() {
        assertThat(problemsOf(expressions(req("env", "In"))))
                .singleElement()
                .satisfies(p -> {
                    assertThat(p.field()).isEqualTo("matchExpressions[0].values");
                    assertThat(p.reason()).contains("In");
                });
    }

    @Test
    void notInWithoutValuesIsReportedAtItsValues() {
        assertThat(problemsOf(expressions(req("team", "Exists"), req("env", "NotIn"))))
                .extracting(Problem::field).containsExactly("matchExpressions[1].values");
    }

    @Test
    void existsWithValuesIsReportedAtItsValues() {
        assertThat(problemsOf(expressions(req("env", "Exists", "prod"))))
                .singleElement()
                .satisfies(p -> {
                    assertThat(p.field()).isEqualTo("matchExpressions[0].values");
                    assertThat(p.reason()).contains("Exists");
                });
    }

    @Test
    void doesNotExistWithValuesIsReportedAtItsValues() {
        assertThat(problemsOf(expressions(req("env", "DoesNotExist", "prod"))))
                .extracting(Problem::field).containsExactly("matchExpressions[0].values");
    }

    @Test
    void anEmptyKeyIsReportedAtItsKey() {
        assertThat(problemsOf(expressions(req("env", "Exists"), req("", "Exists"))))
                .extracting(Problem::field).containsExactly("matchExpressions[1].key");
    }

    @Test
    void anEmptyMatchLabelsKeyIsReported() {
        assertThat(problemsOf(LabelSelector.matchLabels(Map.of("", "x"))))
                .extracting(Problem::field).containsExactly("matchLabels");
    }

    @Test
    void everyMalformedExpressionIsReportedNotJustTheFirst() {
        assertThat(problemsOf(expressions(req("a", "Bogus"), req("b", "Exists"), req("c", "In"), req("", "In", "x"))))
                .extracting(Problem::field)
                .containsExactly("matchExpressions[0].operator", "matchExpressions[2].values", "matchExpressions[3].key");
    }

    @Test
    void aWellFormedSelectorReportsNothing() {
        assertThat(problemsOf(new LabelSelector(Map.of("app", "db"), List.of(
                req("a", "In", "x"), req("b", "NotIn", "y"), req("c", "Exists"), req("d", "DoesNotExist")))))
                .isEmpty();
    }

    @Test
    void matchLabelsKeysAndValuesFollowTheApiServersLabelRules() {
        assertThat(problemsOf(LabelSelector.matchLabels(Map.of("app", "w\0eb")))).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("matchLabels");
            assertThat(p.reason()).startsWith("label value \"w\\u0000eb\" must be empty or at most 63 characters");
        });
        assertThat(problemsOf(LabelSelector.matchLabels(Map.of("-app", "web")))).extracting(Problem::field)
                .containsExactly("matchLabels");
        assertThat(problemsOf(LabelSelector.matchLabels(Map.of("example.com/" + "a".repeat(63), "v".repeat(63)))))
                .isEmpty();
    }

    @Test
    void expressionKeysAndValuesFollowTheApiServersLabelRules() {
        assertThat(problemsOf(expressions(req("app", "In", "ok", "v".repeat(64)), req("bad key", "Exists"))))
                .extracting(Problem::field).containsExactly("matchExpressions[0].values", "matchExpressions[1].key");
    }
}

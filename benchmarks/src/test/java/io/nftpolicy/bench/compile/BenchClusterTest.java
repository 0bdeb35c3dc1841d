package io.nftpolicy.bench.compile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.bench.compile.BenchCluster.Change;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.Ruleset;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class BenchClusterTest {
    private static final BenchCluster CLUSTER = BenchCluster.generate(1_000, 200);

    @Test
    void theLargeSizeIsTheReadmesLargeNode() {
        assertThat(BenchCluster.size(10_000, 2_000)).isEqualTo(new ClusterGenerator.Size(200, 50, 20, 10, 1L));
    }

    @Test
    void podsAndPoliciesAreSharedEvenlyOverTheNamespaces() {
        assertThat(BenchCluster.size(1_000, 2_000)).isEqualTo(new ClusterGenerator.Size(20, 50, 20, 100, 1L));
        assertThat(BenchCluster.size(10_000, 200)).isEqualTo(new ClusterGenerator.Size(20, 500, 20, 10, 1L));
        assertThat(BenchCluster.size(100, 20)).isEqualTo(new ClusterGenerator.Size(2, 50, 20, 10, 1L));
    }

    @Test
    void sizesThatDoNotShareEvenlyAreRejected() {
        assertThatThrownBy(() -> BenchCluster.size(1_001, 200)).hasMessageContaining("1001 pods and 200 policies");
    }

    @ParameterizedTest
    @EnumSource(Change.class)
    void everyChangeChangesNodeZerosRuleset(Change change) {
        PolicyCompiler compiler = new PolicyCompiler();

        Ruleset before = compiler.compile(CLUSTER.snapshot(), BenchCluster.NODE).ruleset();
        Ruleset after = compiler.compile(CLUSTER.after(change), BenchCluster.NODE).ruleset();

        assertThat(after).isNotEqualTo(before);
    }

    @ParameterizedTest
    @EnumSource(Change.class)
    void everyChangeChangesOneObject(Change change) {
        ClusterSnapshot after = CLUSTER.after(change);

        int changed = difference(CLUSTER.snapshot().pods(), after.pods())
                + difference(CLUSTER.snapshot().policies(), after.policies())
                + difference(CLUSTER.snapshot().namespaces(), after.namespaces());

        assertThat(changed).isEqualTo(change == Change.ADD_POD || change == Change.CREATE_POLICY ? 1 : 2);
    }

    @Test
    void aRemoteRelabelChangesAPodOfAnotherNode() {
        Set<Pod> before = new HashSet<>(CLUSTER.snapshot().pods());

        Pod relabelled = CLUSTER.after(Change.RELABEL_REMOTE_POD).pods().stream()
                .filter(p -> !before.contains(p)).findFirst().orElseThrow();

        assertThat(relabelled.nodeName()).isNotEqualTo(BenchCluster.NODE);
    }

    @Test
    void aRelabelToANewGroupNeedsAnAppThatSomeNamespaceLacksOnTheNode() {
        BenchCluster large = BenchCluster.generate(10_000, 20);

        assertThat(CLUSTER.allows(Change.RELABEL_POD_NEW_GROUP)).isTrue();
        assertThat(large.allows(Change.RELABEL_POD_NEW_GROUP)).isFalse();
        assertThat(large.allows(Change.ADD_POD)).isTrue();
        assertThatThrownBy(() -> large.after(Change.RELABEL_POD_NEW_GROUP)).hasMessageContaining("every namespace");
    }

    @Test
    void changesAreNamedAsTheBenchmarkParametersSpellThem() {
        assertThat(Change.of("relabel-pod")).isEqualTo(Change.RELABEL_POD);
        assertThatThrownBy(() -> Change.of("nope")).hasMessageContaining("unknown change \"nope\"");
    }

    /** Objects in one list and not the other, both ways: a replaced object counts twice. */
    private static <T> int difference(java.util.List<T> a, java.util.List<T> b) {
        Set<T> left = new HashSet<>(a);
        Set<T> right = new HashSet<>(b);
        return (int) (a.stream().filter(x -> !right.contains(x)).count() + b.stream().filter(x -> !left.contains(x)).count());
    }
}

package io.nftpolicy.bench.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.ruleset.Ruleset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpareProbeTest {
    private final ClusterSnapshot snapshot = ClusterGenerator.generate(new Options.Cluster(1000, 200)
            .generatorSize(70, 1));
    private final Map<String, Ruleset> compiled = compileBothNodes();
    private final ProbePlan plan = ProbePlan.choose(snapshot, compiled, LinearLayout.of(snapshot, ProbePlan.SERVER_NODE));
    private final SpareProbe spare = SpareProbe.choose(snapshot, plan, compiled.get(ProbePlan.SERVER_NODE));

    @Test
    void withItsAllowLabelsTheServersPoliciesLetTheSpareIn() {
        FirstPacket.Outcome outcome = walkWith(spare.pod("spare", true));

        assertThat(outcome.allowed()).isTrue();
    }

    @Test
    void withItsDenyLabelsTheNamedEndAloneKeepsItOut() {
        FirstPacket.Outcome outcome = walkWith(spare.pod("spare", false));

        if (spare.denyingSide() == SpareProbe.Side.INGRESS) {
            assertThat(outcome.egress() == null || outcome.egress().verdict().equals("return")).isTrue();
            assertThat(outcome.ingress().verdict()).isEqualTo("drop");
        } else {
            assertThat(outcome.egress().verdict()).isEqualTo("drop");
            Pod elsewhere = spare.pod("spare", false);
            FirstPacket.Outcome atTheServer = walkWith(new Pod(elsewhere.namespace(), elsewhere.name(),
                    elsewhere.labels(), ProbePlan.OTHER_NODE, false, elsewhere.phase(), false, elsewhere.ips(),
                    elsewhere.ports()));
            assertThat(atTheServer.ingress() == null || atTheServer.ingress().verdict().equals("accept")).isTrue();
        }
    }

    @Test
    void itIsANewAddressOnTheServersNodeCarryingTheProbeLabel() {
        assertThat(snapshot.pods()).noneMatch(p -> p.ips().contains(spare.address()));
        assertThat(spare.pod("spare", true).nodeName()).isEqualTo(plan.server().nodeName());
        assertThat(spare.allowLabels()).containsEntry(SpareProbe.PROBE_LABEL.getKey(), SpareProbe.PROBE_LABEL.getValue());
        assertThat(spare.denyLabels()).containsEntry(SpareProbe.PROBE_LABEL.getKey(), SpareProbe.PROBE_LABEL.getValue());
    }

    private FirstPacket.Outcome walkWith(Pod spared) {
        List<Pod> pods = new ArrayList<>(snapshot.pods());
        pods.add(spared);
        Ruleset ruleset = new PolicyCompiler().compile(new ClusterSnapshot(snapshot.namespaces(), pods,
                snapshot.policies()), ProbePlan.SERVER_NODE).ruleset();
        return new FirstPacket(ruleset).walk(IpAddress.parse(spare.address()),
                IpAddress.parse(plan.server().ips().get(0)), Protocol.TCP, spare.port());
    }

    private Map<String, Ruleset> compileBothNodes() {
        Map<String, Ruleset> rulesets = new LinkedHashMap<>();
        for (String node : List.of(ProbePlan.SERVER_NODE, ProbePlan.OTHER_NODE)) {
            rulesets.put(node, new PolicyCompiler().compile(snapshot, node).ruleset());
        }
        return rulesets;
    }
}

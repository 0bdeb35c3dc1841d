package io.nftpolicy.backend.nflog;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.compile.DropAttribution;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.ruleset.Ruleset;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** From logged packets to one attributed record per connection attempt. */
class DropLogReaderTest {
    private static final Instant T0 = Instant.parse("2026-12-07T03:00:00Z");

    /** The captured packet's cluster: 10.244.1.10 dev/client to 10.244.1.11 dev/db, isolated by dev/db-lockdown. */
    private static final ClusterSnapshot SNAPSHOT = new ClusterSnapshot(List.of(new Namespace("dev", Map.of())),
            List.of(pod("dev/client", "10.244.1.10", "client"), pod("dev/db", "10.244.1.11", "db")),
            List.of(new NetworkPolicy("dev", "db-lockdown", new LabelSelector(Map.of("app", "db"), List.of()),
                    List.of("Ingress"), List.of(), List.of())));

    private static Pod pod(String ref, String ip, String app) {
        String[] parts = ref.split("/");
        return new Pod(parts[0], parts[1], Map.of("app", app), "n1", false, PodPhase.RUNNING, false, List.of(ip),
                List.of(new ContainerPort("http", 80, io.nftpolicy.cluster.Protocol.TCP)));
    }

    private static final Ruleset RULESET = new PolicyCompiler().compile(SNAPSHOT, "n1").ruleset();
    private static final DropAttribution ATTRIBUTION = DropAttribution.of(RULESET, SNAPSHOT);

    private static String chainId() {
        return RULESET.chains().stream().map(c -> c.name()).filter(n -> n.startsWith("ing-")).findFirst()
                .orElseThrow().substring(0, 12);
    }

    private static NflogPacket syn(String prefix, Instant time) {
        byte[] payload = ((NflogMessages.Packet) NflogMessages.decode(NflogMessagesTest.CAPTURED,
                NflogMessagesTest.CAPTURED.length).get(0)).packet().payload();
        return new NflogPacket(4711, Optional.of(time), prefix, payload);
    }

    private final DropLogReader reader = new DropLogReader("n1", Clock.fixed(T0, ZoneOffset.UTC));

    @Test
    void aLoggedSynBecomesARecordNamingPodsPortAndIsolatingPolicies() {
        List<DropRecord> records = reader.records(List.of(syn("nftpolicy drop " + chainId(), T0)), ATTRIBUTION);

        assertThat(DropLogReader.json(records.get(0))).isEqualTo("{\"time\":\"2026-12-07T03:00:00Z\",\"node\":\"n1\",\"verdict\":\"drop\","
                + "\"direction\":\"ingress\",\"source\":{\"ip\":\"10.244.1.10\",\"pod\":\"dev/client\"},"
                + "\"destination\":{\"ip\":\"10.244.1.11\",\"pod\":\"dev/db\"},\"protocol\":\"TCP\",\"port\":80,"
                + "\"pod\":\"dev/db\",\"isolatedBy\":[\"dev/db-lockdown\"],\"chain\":\""
                + RULESET.chains().stream().map(c -> c.name()).filter(n -> n.startsWith("ing-")).findFirst().orElseThrow()
                + "\"}");
    }

    @Test
    void aResentSynOfTheSameAttemptIsNotASecondRecord() {
        String prefix = "nftpolicy drop " + chainId();

        List<DropRecord> records = reader.records(List.of(syn(prefix, T0), syn(prefix, T0.plusSeconds(1)),
                syn(prefix, T0.plusSeconds(3))), ATTRIBUTION);

        assertThat(records).hasSize(1);
    }

    @Test
    void theSameTuplePastTheRetryWindowIsANewAttempt() {
        String prefix = "nftpolicy drop " + chainId();

        List<DropRecord> records = reader.records(List.of(syn(prefix, T0),
                syn(prefix, T0.plus(DropLogReader.RETRY_WINDOW).plusSeconds(1))), ATTRIBUTION);

        assertThat(records).hasSize(2);
    }

    @Test
    void packetsOfAnotherLogStatementAreLeftOut() {
        assertThat(reader.records(List.of(syn("kube-proxy drop", T0)), ATTRIBUTION)).isEmpty();
    }

    @Test
    void aChainTheSnapshotDoesNotKnowStillGivesDirectionAndPods() {
        DropRecord r = reader.records(List.of(syn("nftpolicy drop egr-00000000", T0)), ATTRIBUTION).get(0);

        assertThat(r.direction()).isEqualTo("egress");
        assertThat(r.pod()).isEqualTo("dev/client");
        assertThat(r.isolatedBy()).isEmpty();
        assertThat(r.toText()).endsWith("(chain egr-00000000 not in the snapshot)");
    }

    @Test
    void theTextLineReadsLikeTheJson() {
        DropRecord r = reader.records(List.of(syn("nftpolicy drop " + chainId(), T0)), ATTRIBUTION).get(0);

        assertThat(r.toText()).isEqualTo("2026-12-07T03:00:00Z n1 ingress drop TCP 10.244.1.10 (dev/client) -> "
                + "10.244.1.11:80 (dev/db) isolated by dev/db-lockdown");
    }

    @Test
    void anAcceptLogNamesTheRuleThatAccepted() {
        // the captured SYN, as if accepted by rule 0 of dev/db's chain (it admits no peer, so the rule is unknown)
        DropRecord r = reader.records(List.of(syn("nftpolicy accept " + chainId() + " 0", T0)), ATTRIBUTION).get(0);

        assertThat(r.verdict()).isEqualTo("accept");
        assertThat(r.direction()).isEqualTo("ingress");
        assertThat(r.pod()).isEqualTo("dev/db");
        assertThat(r.isolatedBy()).isNull();
        assertThat(DropLogReader.json(r)).contains("\"verdict\":\"accept\"").doesNotContain("isolatedBy");
    }

    @Test
    void theOverLimitCountIsTheCountersPacketsInAListing() {
        // as nft 1.0.6 lists a log chain (nft -j list chain)
        String listing = "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", \"json_schema_version\": 1}},"
                + " {\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"log-ing-1\", \"handle\": 1}},"
                + " {\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"log-ing-1\", \"handle\": 3,"
                + " \"expr\": [{\"limit\": {\"rate\": 10, \"burst\": 5, \"per\": \"second\"}}, {\"log\": {\"prefix\":"
                + " \"nftpolicy drop ing-1\", \"group\": 100}}, {\"return\": null}]}}, {\"rule\": {\"family\": \"inet\","
                + " \"table\": \"t\", \"chain\": \"log-ing-1\", \"handle\": 4, \"expr\": [{\"counter\":"
                + " {\"packets\": 17, \"bytes\": 1020}}]}}]}";

        assertThat(DropLogReader.counted(listing)).isEqualTo(17);
    }
}

package io.nftpolicy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.nftpolicy.agent.drops.DropLogWriter;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.compile.DropLogs;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabOptions;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.testing.KernelTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The agent's drop log on a lab node: namespace dev is annotated {@code nftpolicy.io/log-drops: "true"} through the
 * mock API server, dev/db admits only app=nobody, and a connection from dev/client comes out as one JSON line on
 * logger {@value DropLogWriter#LOGGER}.
 */
@KernelTest
class AgentDropLogKernelTest {
    private static final String NODE = "n1";
    private static final Endpoint TCP80 = Endpoint.tcp(80);

    private Lab lab;
    private MockCluster cluster;
    private AgentHarness agent;
    private final List<LibnftablesExecutor> executors = new ArrayList<>();
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach
    void setUp() throws Exception {
        lab = Lab.start(List.of(new LabPod("dev/client", NODE, List.of("10.244.1.10"), List.of()),
                new LabPod("dev/db", NODE, List.of("10.244.1.11"), List.of(TCP80))),
                LabOptions.defaults().withPrefix("dropagent").withProbeTimeout(Duration.ofMillis(200)));
        cluster = new MockCluster();
        cluster.client().namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("dev")
                .withAnnotations(Map.of("nftpolicy.io/log-drops", "true")).endMetadata().build()).create();
        cluster.pod("dev", "client", NODE, "10.244.1.10", Map.of("app", "client"));
        cluster.pod("dev", "db", NODE, "10.244.1.11", Map.of("app", "db"));
        cluster.allowFrom("dev", "db-from-nobody", Map.of("app", "db"), Map.of("app", "nobody"));
        lines.start();
        ((Logger) LoggerFactory.getLogger(DropLogWriter.LOGGER)).addAppender(lines);
    }

    @AfterEach
    void tearDown() throws Exception {
        ((Logger) LoggerFactory.getLogger(DropLogWriter.LOGGER)).detachAppender(lines);
        try {
            if (agent != null) {
                agent.close();
            }
            for (LibnftablesExecutor e : executors) {
                e.close();
            }
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            if (lab != null) {
                lab.close();
            }
        }
    }

    @Test
    void aDeniedConnectionInAnAnnotatedNamespaceIsOneJsonLineOfTheAgentsDropLog() throws Exception {
        String netns = lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + NODE);
        LibnftablesExecutor executor = LibnftablesExecutor.openInNamespace(netns);
        executors.add(executor);
        agent = AgentHarness.create(cluster, new RecordingExecutor(executor), null, AgentHarness.config(NODE)
                .withDropLog(new Agent.DropLog(DropLogs.Options.defaults(false), true, netns)));
        agent.agent.start();
        await().atMost(Duration.ofSeconds(15)).until(agent.agent::ready);

        // The writer binds the group once the first ruleset that logs is compiled: attempt until a line comes.
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() -> {
            assertThat(lab.connects("dev/client", "dev/db", TCP80, IpFamily.IPV4)).isFalse();
            return !messages().isEmpty();
        });

        assertThat(messages().get(0)).contains("\"node\":\"n1\",\"verdict\":\"drop\",\"direction\":\"ingress\"")
                .contains("\"source\":{\"ip\":\"10.244.1.10\",\"pod\":\"dev/client\"}")
                .contains("\"pod\":\"dev/db\",\"isolatedBy\":[\"dev/db-from-nobody\"]");
    }

    private List<String> messages() {
        synchronized (lines.list) {
            return lines.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains("direction"))
                    .toList();
        }
    }
}

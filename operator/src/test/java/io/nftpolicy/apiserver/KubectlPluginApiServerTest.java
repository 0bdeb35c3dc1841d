package io.nftpolicy.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/kubectl-nftpolicy against the real control plane: the pods and the policy it explains come from the API
 * server through the tier's kubectl and kubeconfig, with no dump file.
 */
@ExtendWith(ControlPlane.Extension.class)
class KubectlPluginApiServerTest {
    private static final String NS = "plugin-audit";
    private static final String NODE = "plugin-node";
    private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    @BeforeAll
    static void podsAndAPolicy() {
        KubernetesClient admin = ControlPlane.get().adminClient();
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .create();
        await().atMost(Duration.ofSeconds(60))
                .until(() -> admin.serviceAccounts().inNamespace(NS).withName("default").get() != null);
        pod(admin, "db", "10.244.9.2");
        pod(admin, "web", "10.244.9.3");
        pod(admin, "other", "10.244.9.4");
        admin.network().networkPolicies().inNamespace(NS).resource(UpstreamPods.policy(NS, "db-from-web",
                Map.of("pod", "db"), new NetworkPolicyPeerBuilder().withNewPodSelector()
                        .withMatchLabels(Map.of("pod", "web")).endPodSelector().build(), 5432)).create();
    }

    /** Running on {@link #NODE} with its address, as a kubelet would report it (there is none). */
    private static void pod(KubernetesClient admin, String name, String ip) {
        var created = admin.pods().inNamespace(NS).resource(new PodBuilder()
                .withNewMetadata().withNamespace(NS).withName(name).withLabels(Map.of("pod", name)).endMetadata()
                .withNewSpec().withNodeName(NODE).addNewContainer().withName("main").withImage("none").endContainer()
                .endSpec().build()).create();
        created.setStatus(new PodStatusBuilder().withPhase("Running").withPodIP(ip)
                .withPodIPs(new PodIPBuilder().withIp(ip).build()).build());
        admin.pods().inNamespace(NS).resource(created).updateStatus();
    }

    @AfterAll
    static void deleteThem() {
        KubernetesClient admin = ControlPlane.get().adminClient();
        admin.pods().inNamespace(NS).withGracePeriod(0).delete();
        admin.namespaces().withName(NS).delete();
    }

    @Test
    void explainAnswersFromTheClusterOfTheKubeconfig() throws Exception {
        CommandResult allowed = plugin("explain", "--from", NS + "/web", "--to", NS + "/db", "-p", "5432", "--brief");
        CommandResult denied = plugin("explain", "--from", NS + "/other", "--to", NS + "/db", "-p", "5432",
                "--brief");

        assertThat(allowed.exitCode()).as(allowed.stderr()).isZero();
        assertThat(allowed.stdout()).contains("ingress of plugin-audit/db allowed by plugin-audit/db-from-web "
                + "ingress[0].from[0]");
        assertThat(denied.exitCode()).as(denied.stderr()).isEqualTo(1);
        assertThat(denied.stdout()).contains("plugin-audit/db is isolated for ingress by plugin-audit/db-from-web");
    }

    private CommandResult plugin(String... args) throws Exception {
        ControlPlane cluster = ControlPlane.get();
        Path nftpolicy = tmp.resolve("nftpolicy");
        Files.writeString(nftpolicy, "#!/bin/sh\nexec '" + ProcessHandle.current().info().command().orElse("java")
                + "' -XX:TieredStopAtLevel=1 -cp '" + System.getProperty("java.class.path")
                + "' io.nftpolicy.cli.Main \"$@\"\n");
        assertThat(nftpolicy.toFile().setExecutable(true)).isTrue();
        Path kubectl = cluster.kubectlPath();
        List<String> argv = new java.util.ArrayList<>(List.of(REPOSITORY.resolve("bin/kubectl-nftpolicy").toString()));
        argv.addAll(List.of(args));
        argv.addAll(List.of("--kubeconfig", cluster.kubeconfig().toString()));
        return Commands.run(argv, Map.of("PATH", kubectl.getParent() + ":/usr/bin:/bin",
                "NFTPOLICY_COMMAND", nftpolicy.toString()), Duration.ofMinutes(2));
    }
}

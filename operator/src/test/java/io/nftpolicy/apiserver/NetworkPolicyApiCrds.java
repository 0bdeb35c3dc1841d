package io.nftpolicy.apiserver;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The upstream ClusterNetworkPolicy CRD (sigs.k8s.io/network-policy-api {@value #MODULE}'s standard channel), taken
 * from the Go module cache as {@code go mod download} fetches it, never from a copy in this repository, and
 * installed into the test control plane as a user installs it.
 */
final class NetworkPolicyApiCrds {
    static final String MODULE = "sigs.k8s.io/network-policy-api@v0.3.0";
    static final String CRD = "clusternetworkpolicies.policy.networking.k8s.io";
    private static final String FILE = "config/crd/standard/policy.networking.k8s.io_clusternetworkpolicies.yaml";
    /** The experimental channel: the same CRD with what is not standard yet, such as {@code domainNames} peers. */
    private static final String EXPERIMENTAL_FILE =
            "config/crd/experimental/policy.networking.k8s.io_clusternetworkpolicies.yaml";

    private NetworkPolicyApiCrds() {}

    /** Applies the CRD (idempotent) and waits until it is Established. Skips the test when Go is not installed. */
    static void install(ControlPlane cluster) {
        apply(cluster, FILE);
    }

    /**
     * Applies the experimental channel's CRD over the standard one (same name, a superset of its schema); {@link
     * #install} puts the standard one back (server-side apply drops the fields only the experimental one set).
     */
    static void installExperimental(ControlPlane cluster) {
        apply(cluster, EXPERIMENTAL_FILE);
    }

    private static void apply(ControlPlane cluster, String file) {
        cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", moduleDir().resolve(file).toString());
        // A CRD created a moment ago has no status.conditions yet, and kubectl wait fails on that rather than waiting.
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> cluster.kubectlResult("wait", "--for=condition=Established", "--timeout=10s",
                        "crd/" + CRD).succeeded());
    }

    /** The module's directory in the Go module cache ({@code go mod download -json}'s Dir). */
    static Path moduleDir() {
        CommandResult which = Commands.run(List.of("sh", "-c", "command -v go"), Map.of(), Duration.ofSeconds(10));
        assumeTrue(which.exitCode() == 0, "go is not installed: it fetches " + MODULE + "'s CRDs");
        Path work;
        try {
            work = Files.createTempDirectory("nftpolicy-gomod");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Outside any Go module, so that go.mod files around the working directory play no part.
        CommandResult download = Commands.run(List.of("sh", "-c", "cd " + work + " && go mod download -json " + MODULE),
                Map.of(), Duration.ofMinutes(5));
        try {
            Files.deleteIfExists(work);
            if (download.exitCode() != 0) {
                throw new AssertionError("go mod download " + MODULE + " exited " + download.exitCode() + ":\n"
                        + download.stderr() + download.stdout());
            }
            return Path.of(new ObjectMapper().readTree(download.stdout()).path("Dir").asText());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

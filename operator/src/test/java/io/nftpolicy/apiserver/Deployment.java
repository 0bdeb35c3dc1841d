package io.nftpolicy.apiserver;

import static org.awaitility.Awaitility.await;

import io.nftpolicy.deploy.Repository;
import java.time.Duration;

/** The agent's manifests (deploy/) on the control plane. */
public final class Deployment {
    static final String NAMESPACE = "nftpolicy-system";
    static final String SERVICE_ACCOUNT = "nftpolicy";
    /** The agent's identity as RBAC sees it. */
    static final String USER = "system:serviceaccount:" + NAMESPACE + ":" + SERVICE_ACCOUNT;

    private Deployment() {}

    static String dir(String kustomization) {
        return Repository.path(kustomization).toString();
    }

    /** {@code kubectl apply -k deploy/base} (idempotent), then waits for the CRD and the ServiceAccount. */
    public static void applyBase(ControlPlane cluster) {
        cluster.kubectl("apply", "-k", dir("deploy/base"));
        cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                "crd/nodepolicystatuses.nftpolicy.io");
    }

    /** A kubeconfig with a fresh token of the agent's ServiceAccount. */
    public static java.nio.file.Path agentKubeconfig(ControlPlane cluster, String name) {
        return cluster.tokenKubeconfig(name, agentToken(cluster));
    }

    /** A fresh token of the agent's ServiceAccount, from the TokenRequest API. */
    public static String agentToken(ControlPlane cluster) {
        return cluster.kubectl("create", "token", SERVICE_ACCOUNT, "-n", NAMESPACE, "--duration=2h").strip();
    }

    /** {@code kubectl delete -k deploy/base}, if anything of it is there, and waits until it is gone. */
    static void deleteBase(ControlPlane cluster) {
        cluster.kubectl("delete", "-k", dir("deploy/base"), "--ignore-not-found");
        awaitGone(cluster);
    }

    /** Waits until the namespace (and so everything in it) and the CRD are gone. */
    static void awaitGone(ControlPlane cluster) {
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() ->
                !cluster.kubectlResult("get", "namespace", NAMESPACE).succeeded()
                        && !cluster.kubectlResult("get", "crd", "nodepolicystatuses.nftpolicy.io").succeeded());
    }
}

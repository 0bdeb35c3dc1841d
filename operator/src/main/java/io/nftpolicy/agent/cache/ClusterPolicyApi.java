package io.nftpolicy.agent.cache;

import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.net.HttpURLConnection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the API server serves ClusterNetworkPolicy (network-policy-api v0.3.0's CRD: group
 * policy.networking.k8s.io, versions v1beta1 and v1alpha2 of one schema), found by API discovery. The CRD is
 * optional: a cluster without it has no such objects, and the agent enforces NetworkPolicy alone.
 *
 * @param version the version read: v1beta1 (v0.3.0's storage version) when served, else v1alpha2 (the group may
 *                hold other kinds too, such as v1alpha1's AdminNetworkPolicy of earlier releases)
 */
public record ClusterPolicyApi(String version) {
    public static final String GROUP = "policy.networking.k8s.io";
    public static final String PLURAL = "clusternetworkpolicies";
    public static final String KIND = "ClusterNetworkPolicy";
    /** The versions whose schema the snapshot reader reads, preferred first. */
    static final List<String> VERSIONS = List.of("v1beta1", "v1alpha2");

    public ClusterPolicyApi {
        Objects.requireNonNull(version, "version");
    }

    /**
     * Asks the API server's discovery, version by version ({@code /apis/GROUP/VERSION}: a 404 or a list without
     * clusternetworkpolicies means not served there). Empty when no version read here serves it: the CRD is not
     * installed.
     *
     * @throws KubernetesClientException when the API server cannot be asked
     */
    public static Optional<ClusterPolicyApi> discover(KubernetesClient client) {
        for (String version : VERSIONS) {
            if (serves(client, version)) {
                return Optional.of(new ClusterPolicyApi(version));
            }
        }
        return Optional.empty();
    }

    private static boolean serves(KubernetesClient client, String version) {
        APIResourceList resources;
        try {
            resources = client.getApiResources(GROUP + "/" + version);
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_NOT_FOUND) {
                return false;
            }
            throw e;
        }
        return resources != null && resources.getResources() != null
                && resources.getResources().stream().anyMatch(r -> PLURAL.equals(r.getName()));
    }

    public String apiVersion() {
        return GROUP + "/" + version;
    }

    /** For fabric8's generic resources: cluster-scoped, no generated model needed. */
    public ResourceDefinitionContext context() {
        return new ResourceDefinitionContext.Builder().withGroup(GROUP).withVersion(version).withPlural(PLURAL)
                .withKind(KIND).withNamespaced(false).build();
    }
}

package io.nftpolicy.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.nftpolicy.compile.Diagnostic;
import java.util.Objects;

/**
 * A pod, namespace or node with a field the agent could not use as written (the API server would have refused it),
 * or a ClusterNetworkPolicy with a field that is invalid or that nftpolicy does not support (domainNames).
 */
public record ObjectProblem(
        @Required @JsonPropertyDescription("Pod, Namespace, Node or ClusterNetworkPolicy.")
        String kind,
        @Required @JsonPropertyDescription("namespace/name of a pod, else the name of the object.")
        String object,
        @Required @JsonPropertyDescription("Path of the offending field, e.g. spec.containers[0].ports[0].containerPort.")
        String field,
        @Required @JsonPropertyDescription("What is wrong with it, and what the agent did instead.")
        String reason) {

    public ObjectProblem {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(object, "object");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(reason, "reason");
    }

    public static ObjectProblem of(Diagnostic diagnostic) {
        return new ObjectProblem(diagnostic.kind(), diagnostic.object(), diagnostic.field(), diagnostic.reasonAndEffect());
    }
}

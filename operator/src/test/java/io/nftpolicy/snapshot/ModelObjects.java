package io.nftpolicy.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The objects of a YAML snapshot as fabric8's model objects, as the agent's informers hold them. */
record ModelObjects(List<Namespace> namespaces, List<Pod> pods, List<NetworkPolicy> policies) {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization(new ObjectMapper(), true);

    static ModelObjects of(String yaml) throws IOException {
        ModelObjects objects = new ModelObjects(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (JsonNode document : YAML.readValues(YAML.createParser(yaml), JsonNode.class).readAll()) {
            objects.add(document);
        }
        return objects;
    }

    private void add(JsonNode object) {
        switch (object.path("kind").asText()) {
            case "List" -> object.path("items").forEach(this::add);
            case "Namespace" -> namespaces.add(SERIALIZATION.convertValue(object, Namespace.class));
            case "Pod" -> pods.add(SERIALIZATION.convertValue(object, Pod.class));
            case "NetworkPolicy" -> policies.add(SERIALIZATION.convertValue(object, NetworkPolicy.class));
            default -> { } // other kinds: nothing policy reads
        }
    }
}

package io.nftpolicy.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** Which node the status describes; always equal to the resource's name. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodePolicyStatusSpec(
        @Required @JsonPropertyDescription("Name of the node whose agent writes this status (the resource's name).")
        String nodeName) {}

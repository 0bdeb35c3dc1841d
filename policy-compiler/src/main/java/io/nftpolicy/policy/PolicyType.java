package io.nftpolicy.policy;

/** The direction a policy isolates. */
public enum PolicyType {
    INGRESS("Ingress", "ingress", "from"),
    EGRESS("Egress", "egress", "to");

    private final String kubernetesName;
    private final String field;
    private final String peersField;

    PolicyType(String kubernetesName, String field, String peersField) {
        this.kubernetesName = kubernetesName;
        this.field = field;
        this.peersField = peersField;
    }

    public String kubernetesName() {
        return kubernetesName;
    }

    /** The spec field that holds this direction's rules: ingress or egress. */
    public String field() {
        return field;
    }

    /** The rule field that holds this direction's peers: from or to. */
    public String peersField() {
        return peersField;
    }
}

package io.nftpolicy.cluster;

/** status.phase of a pod. Finished pods (Succeeded, Failed) leave every set: their addresses get reused. */
public enum PodPhase {
    PENDING,
    RUNNING,
    SUCCEEDED,
    FAILED,
    UNKNOWN;

    public static PodPhase fromKubernetes(String phase) {
        if (phase == null) {
            return UNKNOWN;
        }
        return switch (phase) {
            case "Pending" -> PENDING;
            case "Running" -> RUNNING;
            case "Succeeded" -> SUCCEEDED;
            case "Failed" -> FAILED;
            default -> UNKNOWN;
        };
    }

    public boolean finished() {
        return this == SUCCEEDED || this == FAILED;
    }
}

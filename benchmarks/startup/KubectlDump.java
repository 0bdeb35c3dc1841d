import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The generated snapshot with every Pod as {@code kubectl get pods -o yaml} prints a pod of a Deployment: managed
 * fields, owner references, a container with arguments, environment, probes, resources, security context and volume
 * mounts, tolerations, a projected volume, conditions and container statuses (modelled by hand on kubectl's output;
 * about 6.6 KB a pod instead of 0.6 KB). Policy reads none of what is added but a uid. Usage:
 * {@code java KubectlDump.java IN.yaml OUT.yaml}.
 */
public class KubectlDump {
    private static final Pattern NAME = Pattern.compile("(?m)^    name: \"?([^\"\\n]+)\"?$");
    private static final Pattern NAMESPACE = Pattern.compile("(?m)^    namespace: \"?([^\"\\n]+)\"?$");
    private static final Pattern IP = Pattern.compile("(?m)^    podIP: \"?([^\"\\n]+)\"?$");

    private static final String METADATA = """
                annotations:
                  kubectl.kubernetes.io/restartedAt: "2024-05-01T09:58:12Z"
                  prometheus.io/port: "9090"
                  prometheus.io/scrape: "true"
                creationTimestamp: "2024-05-01T10:01:00Z"
                generateName: %NAME%-
                managedFields:
                - apiVersion: v1
                  fieldsType: FieldsV1
                  fieldsV1:
                    f:metadata:
                      f:annotations:
                        .: {}
                        f:kubectl.kubernetes.io/restartedAt: {}
                      f:generateName: {}
                      f:labels:
                        .: {}
                        f:app: {}
                        f:pod-template-hash: {}
                      f:ownerReferences:
                        .: {}
                        k:{"uid":"0d3e9a8c-1111-2222-3333-444455556666"}: {}
                    f:spec:
                      f:containers:
                        k:{"name":"main"}:
                          .: {}
                          f:env:
                            .: {}
                            k:{"name":"LOG_LEVEL"}:
                              .: {}
                              f:name: {}
                              f:value: {}
                          f:image: {}
                          f:imagePullPolicy: {}
                          f:name: {}
                          f:ports:
                            .: {}
                            k:{"containerPort":80,"protocol":"TCP"}:
                              .: {}
                              f:containerPort: {}
                              f:name: {}
                              f:protocol: {}
                          f:resources:
                            .: {}
                            f:limits:
                              .: {}
                              f:memory: {}
                      f:dnsPolicy: {}
                      f:enableServiceLinks: {}
                  manager: kube-controller-manager
                  operation: Update
                  time: "2024-05-01T10:01:00Z"
                - apiVersion: v1
                  fieldsType: FieldsV1
                  fieldsV1:
                    f:status:
                      f:conditions:
                        k:{"type":"ContainersReady"}:
                          .: {}
                          f:lastProbeTime: {}
                          f:lastTransitionTime: {}
                          f:status: {}
                          f:type: {}
                      f:podIP: {}
                      f:podIPs:
                        .: {}
                        k:{"ip":"%IP%"}:
                          .: {}
                          f:ip: {}
                  manager: kubelet
                  operation: Update
                  subresource: status
                  time: "2024-05-01T10:01:07Z"
                ownerReferences:
                - apiVersion: apps/v1
                  blockOwnerDeletion: true
                  controller: true
                  kind: ReplicaSet
                  name: %NAME%-rs
                  uid: 0d3e9a8c-1111-2222-3333-444455556666
                resourceVersion: "402118"
                uid: %UID%
            """;
    private static final String CONTAINER = """
                  args:
                  - --listen=:8080
                  - --metrics-addr=0.0.0.0:9090
                  command:
                  - /bin/app
                  env:
                  - name: LOG_LEVEL
                    value: info
                  - name: POD_IP
                    valueFrom:
                      fieldRef:
                        apiVersion: v1
                        fieldPath: status.podIP
                  - name: GOMAXPROCS
                    value: "2"
                  imagePullPolicy: IfNotPresent
                  livenessProbe:
                    failureThreshold: 3
                    httpGet:
                      path: /healthz
                      port: http
                      scheme: HTTP
                    initialDelaySeconds: 10
                    periodSeconds: 10
                    successThreshold: 1
                    timeoutSeconds: 1
                  resources:
                    limits:
                      memory: 256Mi
                    requests:
                      cpu: 100m
                      memory: 128Mi
                  securityContext:
                    allowPrivilegeEscalation: false
                    capabilities:
                      drop:
                      - ALL
                    readOnlyRootFilesystem: true
                    runAsNonRoot: true
                    runAsUser: 65532
                  terminationMessagePath: /dev/termination-log
                  terminationMessagePolicy: File
                  volumeMounts:
                  - mountPath: /var/run/secrets/kubernetes.io/serviceaccount
                    name: kube-api-access-7xk2p
                    readOnly: true
            """;
    private static final String SPEC = """
                dnsPolicy: ClusterFirst
                enableServiceLinks: true
                preemptionPolicy: PreemptLowerPriority
                priority: 0
                restartPolicy: Always
                schedulerName: default-scheduler
                securityContext:
                  fsGroup: 65532
                  seccompProfile:
                    type: RuntimeDefault
                serviceAccount: app
                serviceAccountName: app
                terminationGracePeriodSeconds: 30
                tolerations:
                - effect: NoExecute
                  key: node.kubernetes.io/not-ready
                  operator: Exists
                  tolerationSeconds: 300
                - effect: NoExecute
                  key: node.kubernetes.io/unreachable
                  operator: Exists
                  tolerationSeconds: 300
                volumes:
                - name: kube-api-access-7xk2p
                  projected:
                    defaultMode: 420
                    sources:
                    - serviceAccountToken:
                        expirationSeconds: 3607
                        path: token
                    - configMap:
                        items:
                        - key: ca.crt
                          path: ca.crt
                        name: kube-root-ca.crt
                    - downwardAPI:
                        items:
                        - fieldRef:
                            apiVersion: v1
                            fieldPath: metadata.namespace
                          path: namespace
            """;
    private static final String STATUS = """
                conditions:
                - lastProbeTime: null
                  lastTransitionTime: "2024-05-01T10:01:05Z"
                  status: "True"
                  type: PodReadyToStartContainers
                - lastProbeTime: null
                  lastTransitionTime: "2024-05-01T10:01:00Z"
                  status: "True"
                  type: Initialized
                - lastProbeTime: null
                  lastTransitionTime: "2024-05-01T10:01:07Z"
                  status: "True"
                  type: Ready
                - lastProbeTime: null
                  lastTransitionTime: "2024-05-01T10:01:07Z"
                  status: "True"
                  type: ContainersReady
                - lastProbeTime: null
                  lastTransitionTime: "2024-05-01T10:01:00Z"
                  status: "True"
                  type: PodScheduled
                containerStatuses:
                - containerID: containerd://4f1c2b9e0d6a7c3b8e5f2a1d9c0b7e6f5a4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b
                  image: registry.example/app:1
                  imageID: registry.example/app@sha256:9a3f0c1e2d4b6a8c0e2f4a6c8e0a2c4e6a8c0e2f4a6c8e0a2c4e6a8c0e2f4a6c
                  lastState: {}
                  name: main
                  ready: true
                  restartCount: 0
                  started: true
                  state:
                    running:
                      startedAt: "2024-05-01T10:01:04Z"
                  volumeMounts:
                  - mountPath: /var/run/secrets/kubernetes.io/serviceaccount
                    name: kube-api-access-7xk2p
                    readOnly: true
                    recursiveReadOnly: Disabled
                hostIP: 192.168.1.10
                hostIPs:
                - ip: 192.168.1.10
                qosClass: Burstable
                startTime: "2024-05-01T10:01:00Z"
            """;

    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Path.of(args[0]));
        StringBuilder out = new StringBuilder(lines.size() * 200);
        List<String> item = new ArrayList<>();
        int[] pods = {0};
        for (String line : lines) {
            if (line.startsWith("- ") || !line.startsWith(" ")) {
                flush(item, out, pods);
            }
            item.add(line);
        }
        flush(item, out, pods);
        Files.writeString(Path.of(args[1]), out);
    }

    private static void flush(List<String> item, StringBuilder out, int[] pods) {
        String text = String.join("\n", item);
        boolean pod = item.size() > 1 && item.get(1).matches("  kind: \"?Pod\"?");
        for (String line : item) {
            out.append(line).append('\n');
            if (!pod) {
                continue;
            }
            if (line.equals("  metadata:")) {
                String name = find(NAME, text);
                String ip = find(IP, text);
                String uid = String.format("%08x-aaaa-4bbb-8ccc-%012x", pods[0], (long) find(NAMESPACE, text).hashCode() & 0xffffffffL);
                out.append(METADATA.replace("%NAME%", name).replace("%IP%", ip).replace("%UID%", uid));
                pods[0]++;
            } else if (line.equals("  spec:")) {
                out.append(SPEC);
            } else if (line.equals("  status:")) {
                out.append(STATUS);
            } else if (line.startsWith("    - image: ")) {
                out.append(CONTAINER);
            }
        }
        item.clear();
    }

    private static String find(Pattern pattern, String text) {
        Matcher matcher = pattern.matcher(text);
        return matcher.find() ? matcher.group(1) : "none";
    }
}
